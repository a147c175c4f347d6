"""``report.html``: one self-contained page an analyst can read and share.

Inline SVG graph (no network resources), counts per status, a sortable and filterable table of
every pair, the confounders with FCI's verdict, the falsification of the LLM's graph, the merge
decisions and the run manifest. Every text is HTML-escaped; the table data travel as JSON inside
a ``<script type="application/json">`` block with ``<`` escaped, so a column called
``<script>`` stays text.

The table reads its initial state from the URL fragment, e.g.
``report.html#status=reversed&sort=p_value:desc&q=Akt`` (handy for links, and how the browser
test drives it).
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

from ..contract import BEHAVIOURS, UNUSABLE_WARN_SHARE
from ..merge.statuses import STATUSES
from .review import json_script, review_section

__all__ = ["report_html", "write_report"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#222;max-width:1400px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.sim{background:#fff3cd;border:1px solid #e0b000;padding:8px 12px;border-radius:6px;margin:10px 0;font-weight:600}
.fail{background:#f8d7da;border:2px solid #b02a37;color:#58151c;padding:8px 12px;border-radius:6px;margin:10px 0;font-weight:700}
.chips span{display:inline-block;margin:2px 6px 2px 0;padding:3px 9px;border-radius:12px;background:#eef;font-size:13px}
.graph{border:1px solid #ddd;border-radius:6px;padding:8px;overflow:auto;max-height:900px}
table{border-collapse:collapse;font-size:13px;width:100%} td.mark{white-space:nowrap;font-family:monospace} th,td{border-bottom:1px solid #eee;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f6f6f6;cursor:pointer;position:sticky;top:0;user-select:none} th.sorted-asc::after{content:" \\25B2"} th.sorted-desc::after{content:" \\25BC"}
td.r{max-width:420px} .controls{margin:6px 0 10px} .controls input,.controls select{padding:4px;margin-right:8px}
.muted{color:#777;font-size:12px} pre{background:#f7f7f7;padding:10px;overflow:auto;font-size:12px;max-height:400px}
.st-reversed{color:#b2182b;font-weight:600}.st-agree{color:#1b7837}.st-oriented_by_llm{color:#2166ac}.st-llm_only{color:#c06000}
"""

_JS = r"""
(function(){
  var rows = JSON.parse(document.getElementById('pairs-data').textContent);
  var cols = JSON.parse(document.getElementById('pairs-cols').textContent);
  var tbody = document.querySelector('#pairs tbody');
  var statusSel = document.getElementById('status-filter');
  var q = document.getElementById('text-filter');
  var sortCol = null, sortDir = 1;
  function params(){ var o={}; location.hash.replace(/^#/,'').split('&').forEach(function(kv){ if(!kv) return;
      var i=kv.indexOf('='); o[decodeURIComponent(kv.slice(0,i))]=decodeURIComponent(kv.slice(i+1)); }); return o; }
  function cmp(a,b){ var x=a[sortCol], y=b[sortCol]; var nx=parseFloat(x), ny=parseFloat(y);
      if(!isNaN(nx)&&!isNaN(ny)&&String(x).trim()!==''&&String(y).trim()!=='') return (nx-ny)*sortDir;
      x=(x===null||x===undefined)?'':String(x); y=(y===null||y===undefined)?'':String(y);
      return x.localeCompare(y)*sortDir; }
  // p-values in scientific notation; one that underflowed to 0 is shown as below the smallest double
  function fmt(c, v){ if(c==='p_value') return v===0?'< 1e-300':(v<0.001?v.toExponential(2):v.toPrecision(3));
    return Math.abs(v)<1e-3&&v!==0?v.toExponential(2):String(+v.toFixed(4)); }
  function render(){
    var st = statusSel.value, text = q.value.toLowerCase();
    var shown = rows.filter(function(r){ if(st && r.status!==st) return false;
        if(text){ var s=cols.map(function(c){return r[c]===null||r[c]===undefined?'':String(r[c]);}).join(' ').toLowerCase();
                  if(s.indexOf(text)<0) return false; } return true; });
    if(sortCol) shown.sort(cmp);
    tbody.textContent='';
    shown.forEach(function(r){ var tr=document.createElement('tr');
      cols.forEach(function(c){ var td=document.createElement('td'); var v=r[c];
        td.textContent = (v===null||v===undefined)?'':(typeof v==='number'?fmt(c, v):String(v));
        if(c==='status') td.className='st-'+v; if(c==='rationale'||c==='decision') td.className='r';
        if(c==='pc'||c==='data'||c==='llm'||c==='llm_votes') td.className='mark'; tr.appendChild(td); });
      tbody.appendChild(tr); });
    document.getElementById('shown-count').textContent = shown.length + ' of ' + rows.length + ' pairs';
    document.querySelectorAll('#pairs th').forEach(function(th){ th.className = th.dataset.col===sortCol ? (sortDir>0?'sorted-asc':'sorted-desc') : ''; });
  }
  document.querySelectorAll('#pairs th').forEach(function(th){ th.addEventListener('click', function(){
      if(sortCol===th.dataset.col) sortDir=-sortDir; else {sortCol=th.dataset.col; sortDir=1;} render(); }); });
  statusSel.addEventListener('change', render); q.addEventListener('input', render);
  var p = params(); if(p.status) statusSel.value=p.status; if(p.q) q.value=p.q;
  if(p.sort){ var s=p.sort.split(':'); sortCol=s[0]; sortDir=(s[1]==='desc')?-1:1; }
  render();
  document.body.setAttribute('data-ready','1');
})();
"""


def _e(x: Any) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _drawn(r: dict) -> str:
    if not r.get("in_graph"):
        return "(none)"
    return f"{r['source']} {'-->' if r.get('directed') else '---'} {r['target']}"


def _pc_had(r: dict) -> str:
    pc = r.get("pc", "none")
    return "(none)" if pc == "none" else f"{r['source']} {pc} {r['target']}"


def _changed(r: dict) -> bool:
    """The final graph draws this pair differently from PC (the row's ``pc`` is read from its source)."""
    now = ("-->" if r.get("directed") else "---") if r.get("in_graph") else "none"
    return now != r.get("pc", "none")


def _clean_svg(svg: str) -> str:
    svg = re.sub(r"<\?xml[^>]*\?>", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>", "", svg, flags=re.S)
    return re.sub(r"<!--.*?-->", "", svg, flags=re.S).strip()


def report_html(result: Any, svg: str) -> str:
    """The report page for a :class:`~causalllm.output.result.DiscoveryResult`."""
    counts = result.status_counts()
    parts = [*_header(result), *_summary(result, counts), *_truth(result), *_checks(result),
             *_graph(result, counts, svg), *review_section(result), *_pairs(result, counts), *_cross_checks(result)]
    parts.append(f"<script>{_JS}</script></body></html>")
    return "\n".join(parts)


def _header(result: Any) -> list[str]:
    """The page's head, title, run line and banners (simulation, LLM failure, left-out columns, flagged text)."""
    m = result.manifest
    llm = m.get("llm", {}) or {}
    title = f"causalllm report: {m.get('dataset', '')}"
    parts: list[str] = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{_e(title)}</title>",
             f"<style>{_CSS}</style></head><body>", f"<h1>{_e(title)}</h1>"]
    parts.append(f"<div class='muted'>created {_e(m.get('created'))} · {_e(m.get('n_rows'))} rows · "
                 f"CI test {_e(m.get('options', {}).get('test'))}, alpha {_e(m.get('options', {}).get('alpha'))} · "
                 f"merge policy {_e(m.get('options', {}).get('merge'))} · LLM {_e(llm.get('backend', 'none'))} "
                 f"{_e(llm.get('model', ''))} · prompt version {_e(m.get('prompt_version', '-'))}</div>")
    if llm.get("backend") == "simulated":
        parts.append(f"<div class='sim' id='simulated-banner'>SIMULATION: the LLM answers in this report come from a "
                     f"simulated expert (profile {_e(llm.get('profile'))}) answering from a known truth graph, "
                     "not from a real language model.</div>")
    health = m.get("llm_health") or {}
    if health.get("asked") and health["unusable_share"] > UNUSABLE_WARN_SHARE:
        lost = health["asked"] - health["usable"]
        behaviour = "".join(f"; {BEHAVIOURS[b]}: {n} pairs" for b, n in (health.get("behaviour") or {}).items()
                            if b in BEHAVIOURS)
        parts.append(f"<div class='fail' id='llm-failure-banner'>LLM FAILURE: {lost} of {health['asked']} answers are "
                     f"unusable ({health['invalid']} invalid, {health['unanswered']} unanswered{_e(behaviour)}). "
                     + ("Nothing in this graph comes from the LLM." if not health["usable"] else
                        "The LLM's part of this graph rests on the few usable answers.")
                     + " Check the endpoint, the model and the replies in llm_answers.jsonl.</div>")
    left_out = m.get("excluded_columns") or {}
    if left_out:
        parts.append("<p id='excluded'>Left out of the analysis (no CI test can use them, so neither PC nor the LLM "
                     "was asked about them): " + "; ".join(f"<b>{_e(c)}</b> ({_e(why)})" for c, why in left_out.items())
                     + ".</p>")
    flagged = m.get("flagged_text") or {}
    if flagged:
        parts.append("<div class='fail' id='flagged-text'>Text that reads like instructions to the model was found "
                     "and NOT sent (the variable's name stood in for it):<ul>" +
                     "".join(f"<li><b>{_e(k)}</b>: {_e(v)}</li>" for k, v in flagged.items()) + "</ul></div>")
    return parts


def _summary(result: Any, counts: dict[str, int]) -> list[str]:
    """Counts per status and the expert's calibration."""
    parts: list[str] = []
    parts.append("<h2>Summary</h2><div class='chips' id='summary'>")
    for st, n in counts.items():
        parts.append(f"<span title='{_e(STATUSES[st].help if st in STATUSES else '')}'><b>{_e(st)}</b>: {n}</span>")
    parts.append("</div>")
    info = result.merge_info
    cal = info.calibration if info is not None else None
    if cal:
        parts.append(f"<p id='calibration'>{_e(calibration_sentence(cal, result.rows))} <span class='muted'>(How: the expert's "
                     f"accuracy is estimated at {cal['trust_mean']:.2f}, 95% lower bound {cal['trust']:.2f}, from a prior "
                     f"of {cal['expert_prior']['mean']:.2f} worth {cal['expert_prior']['strength']:g} edge(s) and the "
                     f"check above, allowing that the data's own arrows can be wrong too; it overturns a data arrow "
                     f"only where the lower bound exceeds the data's reliability — robust "
                     f"{cal['data_reliability']['robust']}, weak {cal['data_reliability']['weak']}.)</span></p>")
    return parts


def calibration_sentence(cal: dict, rows: list[dict]) -> str:
    """The calibration in one sentence a non-statistician reads right: how the LLM fared against the data's
    most reliable arrows, and what its answers did to the drawn graph (read off the rows, so it is true).

    Examples
    --------
    >>> rows = [{"status": "oriented_by_llm", "kept": "llm"}, {"status": "reversed", "kept": "data"}]
    >>> calibration_sentence({"agree": 0, "disagree": 2}, rows)
    "The LLM agreed with the data's most reliable arrows in 0 of 2 cases; its answers overturned none of the \
data's arrows and oriented 1 edge the data left undirected."
    """
    n = cal["agree"] + cal["disagree"]
    checked = (f"The LLM agreed with the data's most reliable arrows in {cal['agree']} of {n} case{'s' if n != 1 else ''}"
               if n else "The data had no reliable arrow to check the LLM against")
    overturned = sum(1 for r in rows if r["status"] == "reversed" and r.get("kept") == "llm")
    oriented = sum(1 for r in rows if r["status"] == "oriented_by_llm")
    did = (f"overturned {overturned or 'none'} of the data's arrows and oriented {oriented or 'no'} "
           f"edge{'s' if oriented != 1 else ''} the data left undirected")
    return f"{checked}; its answers {did}."


def _truth(result: Any) -> list[str]:
    """Against a known true graph (a bundled dataset's, or ``--truth``): the data side, the LLM alone and the
    merged graph scored side by side, and the pairs each got wrong."""
    scores = result.truth_scores
    if not scores:
        return []
    rows = "".join(f"<tr><td>{_e(name)}</td><td>{s['shd']}</td><td>{s['adjacency_f1']:.2f}</td>"
                   f"<td>{s['orientation_f1']:.2f}</td><td>{s['dir_f1']:.2f}</td><td>{len(s['wrong'])}</td></tr>"
                   for name, s in scores.items())
    wrong = "".join(f"<details><summary>{_e(name)}: {len(s['wrong'])} pair(s) wrong</summary><ul>"
                    + "".join(f"<li>{_e(w)}</li>" for w in s["wrong"][:200]) + "</ul></details>"
                    for name, s in scores.items() if s["wrong"])
    return ["<h2>Against the true graph</h2><p>The true graph is known for this data: each graph scored against "
            "it (SHD counts the pairs that differ; F1 of adjacencies, arrowheads and directed edges).</p>"
            f"<table id='truth-scores'><thead><tr><th>graph</th><th>SHD</th><th>adjacency F1</th>"
            f"<th>orientation F1</th><th>dirF1</th><th>pairs wrong</th></tr></thead><tbody>{rows}</tbody></table>"
            + wrong]


def _checks(result: Any) -> list[str]:
    """The optional checks' paragraphs: stability, the memorisation probe, the guided skeleton, the hybrid
    re-search."""
    parts: list[str] = []
    m, info = result.manifest, result.merge_info
    boot = m.get("bootstrap")
    if boot and result.stability is not None:
        drawn = [r for r in result.rows if r["in_graph"]]
        firm = sum(1 for r in drawn if r.get("boot_adjacent", 0) >= 0.8)
        parts.append(f"<p id='stability'>Stability: PC re-fitted on {boot['resamples']} subsamples of "
                     f"{boot['fraction']:.0%} of the rows (without replacement); <b>{firm}</b> of {len(drawn)} drawn "
                     "edges were adjacent in at least 80% of them. The boot_* columns below give each pair's "
                     "frequencies beside the LLM's answer.</p>")
    probe = result.probe
    if probe and probe["pairs"]:
        parts.append(f"<h2>Memorisation probe</h2><p id='probe'>{probe['pairs']} answered pair(s) were re-asked with "
                     f"the variables disguised ({_e(probe['disguise'])}): <b>{probe['changed']}</b> answer(s) "
                     f"changed ({probe['share_changed']:.0%}). An answer that changes rested on the names — recalled "
                     "rather than reasoned from what the prompt shows; weigh it with that in mind.</p>"
                     "<table id='probe-pairs'><thead><tr><th>pair</th><th>answer</th><th>disguised</th><th>changed"
                     "</th></tr></thead><tbody>" + "".join(
                         f"<tr><td>{_e(i['source'])} – {_e(i['target'])}</td><td>{_e(i['answer'])}</td>"
                         f"<td>{_e(i['disguised_answer'])}</td><td>{'yes' if i['changed'] else 'no'}</td></tr>"
                         for i in probe["items"]) + "</tbody></table>")
    g = info.guided if info is not None else None
    if g and not g["guessed_edges"]:
        parts.append("<p id='guided'>Guided skeleton (PC-Guess): the LLM gave no usable direction to order the tests "
                     "by, so PC-stable's skeleton stands.</p>")
    elif g:
        parts.append(f"<p id='guided'>Guided skeleton (PC-Guess): the LLM's {g['guessed_edges']} guessed direction(s) "
                     f"ordered PC's CI tests ({g['tests']} tests, against {g['pc_tests']} for PC-stable); no test was "
                     f"skipped or overruled. It kept <b>{g['added']}</b> pair(s) PC-stable removed (status guided) and "
                     f"separated <b>{g['removed']}</b> PC-stable kept (status separated).</p>")
    h = info.hybrid if info is not None else None
    if h:
        parts.append(f"<p id='hybrid'>Score-based re-search (hybrid): {h['candidates']} candidate pair(s) — PC's "
                     f"{h['skeleton']} plus the pairs the LLM claims and their neighbourhoods — searched with "
                     f"{_e(h['score'])} in {h['moves']} move(s). It put back <b>{h['restored']}</b> pair(s) PC's "
                     f"tests removed (status restored) and removed <b>{h['pruned']}</b> PC kept (status pruned). "
                     f"The LLM's answers weighed by how well they tell PC's edges from its non-edges: a claim "
                     f"{h['prior_claim']:+.2f}, a \"no direct relation\" {-h['prior_none']:+.2f} (log-odds; 0: "
                     "the answers carry no information and the search is the score's own).</p>")
    return parts


def _graph(result: Any, counts: dict[str, int], svg: str) -> list[str]:
    """The statuses' meanings, the picture, and what changed versus PC."""
    parts: list[str] = []
    parts.append("<ul class='muted'>" + "".join(f"<li><b>{_e(s.name)}</b>: {_e(s.help)}</li>" for s in STATUSES.values()
                                                if s.name in counts and s.help) + "</ul>")
    parts.append("<h2>Graph</h2>")
    parts.append(f"<div class='graph' id='graph'>{_clean_svg(svg) if svg else '<p>(no SVG could be rendered; see graph.dot)</p>'}</div>")
    changed = [r for r in result.rows if _changed(r)]
    if changed:
        parts.append(f"<h2>Changed versus PC</h2><p class='muted'>{len(changed)} edge(s) the final graph draws "
                     "differently from PC's own output (direction, or a removed/added edge).</p><table id='changed'>"
                     "<thead><tr><th>edge now</th><th>PC had</th><th>status</th><th>kept</th><th>why</th></tr></thead><tbody>"
                     + "".join(f"<tr><td class='mark'>{_e(_drawn(r))}</td><td class='mark'>{_e(_pc_had(r))}</td>"
                               f"<td class='st-{_e(r['status'])}'>{_e(r['status'])}</td><td>{_e(r.get('kept', ''))}</td>"
                               f"<td class='r'>{_e(r.get('decision', ''))}</td></tr>" for r in changed)
                     + "</tbody></table>")
    return parts


def _pairs(result: Any, counts: dict[str, int]) -> list[str]:
    """The sortable, filterable table of every pair (its data as JSON)."""
    parts: list[str] = []
    cols = result.columns
    parts.append("<h2>Pairs</h2><div class='controls'><select id='status-filter'><option value=''>all statuses</option>"
                 + "".join(f"<option value='{_e(s)}'>{_e(s)}</option>" for s in counts) + "</select>"
                 "<input id='text-filter' placeholder='filter text' size='30'><span id='shown-count' class='muted'></span></div>")
    parts.append("<table id='pairs'><thead><tr>" + "".join(f"<th data-col='{_e(c)}'>{_e(c)}</th>" for c in cols)
                 + "</tr></thead><tbody></tbody></table>")
    rows = [{c: (";".join(map(str, r.get(c))) if isinstance(r.get(c), (list, tuple)) else r.get(c)) for c in cols}
            for r in result.rows]
    parts.append(json_script(rows, "pairs-data") + json_script(cols, "pairs-cols"))
    return parts


def _cross_checks(result: Any) -> list[str]:
    """Confounders with FCI's verdict, the falsification, the merge notes and the manifest."""
    parts: list[str] = []
    m, info = result.manifest, result.merge_info
    if result.confounders:
        parts.append("<h2>Suggested confounders</h2><table id='confounders'><thead><tr><th>pair</th><th>confounder</th>"
                     "<th>measured</th><th>FCI</th><th>verdict</th><th>rationale</th></tr></thead><tbody>")
        for c in result.confounders:
            parts.append(f"<tr><td>{_e(c['source'])} – {_e(c['target'])}</td><td>{_e(c['confounder'])}</td>"
                         f"<td>{'yes' if c['measured'] else 'latent'}</td><td>{_e(c.get('fci_mark'))}</td>"
                         f"<td>{_e(c.get('fci_verdict'))}</td><td>{_e(c.get('rationale'))}</td></tr>")
        parts.append("</tbody></table>")
    f = result.falsification
    if f:
        parts.append("<h2>Does the data contradict the LLM's graph?</h2>")
        parts.append(f"<p id='falsification'>{_e(f['verdict'])} (share violated {f['share_violated']:.2f}; random "
                     f"relabellings: mean {f['baseline_mean']}; permutation p = {f['p_value']}).</p>")
        if f["violations"]:
            parts.append("<details><summary>violated implications</summary><table><tr><th>node</th><th>independent of</th>"
                         "<th>given</th><th>p</th></tr>" + "".join(
                             f"<tr><td>{_e(v['node'])}</td><td>{_e(v['independent_of'])}</td><td>{_e(', '.join(v['given']))}</td>"
                             f"<td>{v['p_value']:.3g}</td></tr>" for v in f["violations"][:100]) + "</table></details>")
    notes = [] if info is None else [
        *(f"skipped {s['origin']} orientation {s['source']} -> {s['target']}: {s['reason']}" for s in info.skipped),
        *(f"background knowledge not honoured: {v['source']} -> {v['target']}: {v['problem']}"
          for v in info.violations),
        *(f"cycle broken: {c['source']} -> {c['target']} {c['action']} ({c['cycle']})" for c in info.cycles_broken)]
    if notes:
        parts.append("<h2>Merge notes</h2><ul id='merge-notes'>" + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>")
    parts.append("<h2>Manifest</h2><pre id='manifest'>" + _e(json.dumps(m, indent=2, default=str)) + "</pre>")
    return parts


def write_report(result: Any, path: str | Path, svg: str) -> Path:
    """Write ``report.html``; returns its path."""
    p = Path(path)
    p.write_text(report_html(result, svg), encoding="utf-8")
    return p
