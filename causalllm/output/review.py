"""The report's review: the analyst decides each pair that needs a decision, in the page itself.

Every pair whose drawing rests on a disagreement or a guess (``reversed``, ``oriented_by_llm``,
``llm_only``, ``data_only``, ``unresolved``, ``guided``, ``separated``, any undirected edge) and every
pair an earlier knowledge file decided gets a row with its choices: keep the data's reading, take the
LLM's, require either direction, forbid the edge, or leave it. The page stays one offline file:

- the choices (and the reviewer's name and reasons) persist in the browser's ``localStorage``, keyed
  by the run, so a reload or a closed tab loses nothing;
- **decisions.yaml** downloads a knowledge file :func:`causalllm.data.knowledge.read_knowledge`
  reads: the earlier file's tiers, required and forbidden edges, plus one ``decisions`` entry per
  decided pair (what, following whose reading, by whom, why, when, and the pair's status then);
- **priors.csv** downloads the LLM's answers with every decided pair's answer replaced by the
  decision (``--priors`` reads it).

``causalllm discover ... --knowledge decisions.yaml`` draws the required edges with the status
``analyst``, and its report starts this table from the decisions already taken. Names and LLM text
reach the page as JSON data and are put into the DOM as text, never as markup.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..contract import MARK_TOKENS, PRIORS_COLUMNS

__all__ = ["REVIEW_STATUSES", "json_script", "review_items", "review_section"]

#: The statuses whose pairs are offered for a decision (besides undirected edges and decided pairs).
REVIEW_STATUSES = ("reversed", "oriented_by_llm", "llm_only", "data_only", "unresolved", "guided", "separated")

_ARROW = {"-->": 1, "<--": -1}


def _reading(mark: Any, s: str, t: str) -> tuple[str, str, str] | None:
    """A mark read as a choice's effect: ``("require", a, b)``, ``("forbid", s, t)``, or None (undirected,
    unsure or not asked: nothing a knowledge file can say)."""
    mark = str(mark or "")
    if mark in _ARROW:
        return ("require", s, t) if _ARROW[mark] > 0 else ("require", t, s)
    if mark == "none":
        return ("forbid", s, t)
    return None


def review_items(rows: Sequence[Mapping[str, Any]], decisions: Sequence[Mapping[str, str]] = ()) -> list[dict]:
    """The pairs the review offers, each with its choices and the earlier decision if any.

    A choice is ``{"value", "label", "decision", "source", "target", "following"}``; ``data`` and ``llm``
    are offered only where that side gives a reading a knowledge file can hold (a direction, or no edge).

    Examples
    --------
    >>> rows = [{"source": "a", "target": "b", "status": "reversed", "in_graph": True, "directed": True,
    ...          "data": "-->", "llm": "<--"}]
    >>> it = review_items(rows)[0]
    >>> [(c["value"], c["decision"], c["source"]) for c in it["choices"]][:3]
    [('data', 'require', 'a'), ('llm', 'require', 'b'), ('a>b', 'require', 'a')]
    >>> [c["value"] for c in it["choices"]][3:]
    ['b>a', 'forbid']
    """
    earlier = {frozenset((d["source"], d["target"])): d for d in decisions}
    items = []
    for r in rows:
        s, t = str(r["source"]), str(r["target"])
        prior = earlier.get(frozenset((s, t)))
        undirected = bool(r.get("in_graph")) and not r.get("directed")
        if r["status"] not in REVIEW_STATUSES and not undirected and prior is None:
            continue
        choices = []
        for side, mark in (("data", r.get("data")), ("llm", r.get("llm"))):
            eff = _reading(mark, s, t)
            if eff is not None:
                choices.append(_choice(side, f"the {'LLM' if side == 'llm' else side}'s reading", *eff, side))
        choices += [_choice(f"{s}>{t}", "", "require", s, t, "analyst"),
                    _choice(f"{t}>{s}", "", "require", t, s, "analyst"),
                    _choice("forbid", "forbid the edge", "forbid", s, t, "analyst")]
        items.append({"source": s, "target": t, "status": r["status"], "drawn": _drawn(r),
                      "data": str(r.get("data") or ""), "llm": str(r.get("llm") or ""),
                      "choices": choices, "prior": _prior_value(prior, choices) if prior else None,
                      "prior_by": prior.get("by", "") if prior else "", "prior_why": prior.get("why", "") if prior else "",
                      "prior_at": prior.get("at", "") if prior else ""})
    # a decided pair no side draws or claims any more (a forbidden edge) stays in the review and the download
    shown = {frozenset((i["source"], i["target"])) for i in items}
    for key, d in earlier.items():
        if key not in shown:
            items += review_items([{"source": d["source"], "target": d["target"], "status": "none"}], [d])
    return items


def _choice(value: str, label: str, decision: str, a: str, b: str, following: str) -> dict[str, str]:
    text = label or f"require {a} \u2192 {b}"
    if label.endswith("reading"):
        text = f"{label}: " + (f"{a} \u2192 {b}" if decision == "require" else "no edge")
    return {"value": value, "label": text, "decision": decision, "source": a, "target": b, "following": following}


def _prior_value(prior: Mapping[str, str], choices: list[dict]) -> str:
    """The choice an earlier decision corresponds to (whose reading first, then the plain effect)."""
    def same(c: dict) -> bool:
        if c["decision"] != prior["decision"]:
            return False
        return c["decision"] == "forbid" or (c["source"], c["target"]) == (prior["source"], prior["target"])
    for c in choices:
        if c["following"] == prior.get("following") and same(c):
            return c["value"]
    return next(c["value"] for c in choices if c["following"] == "analyst" and same(c))


def _drawn(r: Mapping[str, Any]) -> str:
    if not r.get("in_graph"):
        return "(no edge)"
    return f"{r['source']} {_LINE[bool(r.get('directed'))]} {r['target']}"


_LINE = {True: "\u2192", False: "\u2014"}


def json_script(obj: Any, id_: str) -> str:
    """``obj`` as a JSON data block the page's scripts read; ``<``, ``>`` and ``&`` escaped so no text in it
    can close the block."""
    text = json.dumps(obj, default=str).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/json" id="{id_}">{text}</script>'


def review_section(result: Any) -> list[str]:
    """The review's HTML: the table (filled by the script from JSON), the name field and the two downloads."""
    m = result.manifest
    k = (m.get("knowledge") or {}).get("content") or {}
    items = review_items(result.rows, k.get("decisions") or [])
    base = {key: k.get(key) for key in ("tiers", "forbid_within_tiers", "required", "forbidden")} if k else {}
    run = {"dataset": m.get("dataset", ""), "created": m.get("created", ""),
           "key": "causalllm-review:" + json.dumps([m.get("dataset", ""), m.get("created", ""),
                                                     sorted((m.get("inputs") or {}).values())])}
    parts = ["<h2>Review: decide the disagreements</h2>"]
    earlier = [i for i in items if i["prior"]]
    if earlier:
        parts.append(f"<p id='review-earlier'><b>{len(earlier)}</b> decision(s) already taken in "
                     f"{html.escape(str((m.get('knowledge') or {}).get('file', '')))}: marked “decided earlier” "
                     "below; the download keeps them unless you change them.</p>")
    if not items:
        return [*parts, "<p id='review-none'>No pair needs a decision: every drawn edge is directed and data and LLM "
                "do not disagree.</p>"]
    parts.append(
        "<p class='muted'>For each pair: keep the data's reading, take the LLM's, require a direction, forbid the "
        "edge, or leave it. Choices stay in this browser (reload-safe). <b>decisions.yaml</b> is a knowledge file: "
        "run <code>causalllm discover ... --knowledge decisions.yaml</code> and the decided edges are drawn as "
        "decided, with the status analyst. <b>priors.csv</b> holds the LLM's answers with your decisions in place "
        "(for <code>--priors</code>).</p>"
        "<div class='controls'><input id='review-by' placeholder='your name (recorded as who decided)' size='28'>"
        "<button id='download-knowledge'>download decisions.yaml</button> "
        "<button id='download-priors'>download priors.csv</button> <span id='review-count' class='muted'></span>"
        "</div><table id='review'><thead><tr><th>pair</th><th>status</th><th>drawn</th><th>data</th><th>LLM</th>"
        "<th>decision</th><th>why</th></tr></thead><tbody></tbody></table>")
    parts.append(json_script(items, "review-data") + json_script(base, "review-base")
                 + json_script(run, "review-run") + json_script(result.priors_rows, "review-priors")
                 + json_script(PRIORS_COLUMNS, "review-priors-cols") + json_script(MARK_TOKENS, "review-marks"))
    parts.append(f"<script>{_JS}</script>")
    return parts


_JS = r"""
(function(){
  function data(id){ return JSON.parse(document.getElementById(id).textContent); }
  var items = data('review-data'), base = data('review-base'), run = data('review-run');
  var priors = data('review-priors'), pcols = data('review-priors-cols'), marks = data('review-marks');
  var store = {}; try { store = JSON.parse(localStorage.getItem(run.key) || '{}') || {}; } catch(e) { store = {}; }
  var byInput = document.getElementById('review-by');
  byInput.value = store.__by__ || '';
  function key(it){ return JSON.stringify([it.source, it.target]); }
  function state(it){ var s = store[key(it)]; if(s) return s;
    return it.prior ? {choice: it.prior, why: it.prior_why, by: it.prior_by, at: it.prior_at, earlier: true}
                    : {choice: 'leave', why: ''}; }
  function save(){ store.__by__ = byInput.value; try { localStorage.setItem(run.key, JSON.stringify(store)); } catch(e) {}
    var n = items.filter(function(it){ return state(it).choice !== 'leave'; }).length;
    document.getElementById('review-count').textContent = n + ' of ' + items.length + ' pairs decided'; }
  function cell(tr, text, cls){ var td = document.createElement('td'); td.textContent = text; if(cls) td.className = cls;
    tr.appendChild(td); return td; }
  var tbody = document.querySelector('#review tbody');
  items.forEach(function(it, i){
    var tr = document.createElement('tr'); tr.setAttribute('data-pair', key(it));
    cell(tr, it.source + ' \u2013 ' + it.target); cell(tr, it.status, 'st-' + it.status);
    cell(tr, it.drawn, 'mark'); cell(tr, it.data || '', 'mark'); cell(tr, it.llm || '', 'mark');
    var td = document.createElement('td'), sel = document.createElement('select'); sel.className = 'review-choice';
    [{value: 'leave', label: 'leave it'}].concat(it.choices).forEach(function(c){
      var o = document.createElement('option'); o.value = c.value; o.textContent = c.label; sel.appendChild(o); });
    var st = state(it); sel.value = st.choice; td.appendChild(sel);
    if(it.prior){ var note = document.createElement('div'); note.className = 'muted review-earlier';
      note.textContent = 'decided earlier' + (it.prior_by ? ' by ' + it.prior_by : '')
        + (it.prior_at ? ' (' + it.prior_at + ')' : '');
      td.appendChild(note); }
    tr.appendChild(td);
    var wtd = document.createElement('td'), why = document.createElement('input'); why.className = 'review-why';
    why.size = 24; why.placeholder = 'why'; why.value = st.why || ''; wtd.appendChild(why); tr.appendChild(wtd);
    // an earlier decision left as it was keeps its author and date; a changed one is the reviewer's now
    function update(){ var s = state(it), same = !!(s.earlier && sel.value === s.choice && why.value === s.why);
      store[key(it)] = {choice: sel.value, why: why.value, by: same ? s.by : byInput.value,
                        at: same ? s.at : new Date().toISOString().slice(0, 19) + 'Z', earlier: same};
      save(); }
    sel.addEventListener('change', update); why.addEventListener('input', update);
    tbody.appendChild(tr);
  });
  byInput.addEventListener('input', save);
  function decided(){ var out = [];
    items.forEach(function(it){ var s = state(it); if(s.choice === 'leave') return;
      var c = it.choices.filter(function(c){ return c.value === s.choice; })[0]; if(!c) return;
      out.push({source: c.source, target: c.target, decision: c.decision, following: c.following,
                by: s.by || byInput.value || '', why: s.why || '', at: s.at || '', was: it.status}); });
    return out; }
  // YAML double-quoted scalars: JSON's string syntax, with the line and byte-order separators escaped too
  function q(x){ return JSON.stringify(String(x)).replace(/[\u0085\u2028\u2029\ufeff\u007f-\u009f]/g, function(ch){
      return '\\u' + ('000' + ch.charCodeAt(0).toString(16)).slice(-4); }); }
  function pairs(list){
    return '[' + (list || []).map(function(p){ return '[' + q(p[0]) + ', ' + q(p[1]) + ']'; }).join(', ') + ']'; }
  function yaml(){ var d = decided(), lines = ['# causalllm knowledge file: decisions taken in the review of a report',
      '# run: ' + q(run.dataset) + ' created ' + q(run.created),
      '# use: causalllm discover ... --knowledge decisions.yaml'];
    lines.push('tiers: [' + (base.tiers || []).map(function(t){ return '[' + t.map(q).join(', ') + ']'; }).join(', ') + ']');
    lines.push('forbid_within_tiers: ' + (base.forbid_within_tiers ? 'true' : 'false'));
    lines.push('required: ' + pairs(base.required)); lines.push('forbidden: ' + pairs(base.forbidden));
    lines.push('decisions:' + (d.length ? '' : ' []'));
    d.forEach(function(x){ lines.push('  - {' + ['source', 'target', 'decision', 'following', 'by', 'why', 'at', 'was']
      .map(function(k){ return k + ': ' + q(x[k]); }).join(', ') + '}'); });
    return lines.join('\n') + '\n'; }
  // a cell as causalllm's own CSV files write it: a spreadsheet will not run it as a formula
  function nz(s){ return (s && '=+-@\t\r'.indexOf(s[0]) >= 0 && marks.indexOf(s) < 0 && isNaN(Number(s))) ? "'" + s : s; }
  function neutral(v){ var s = (v === null || v === undefined) ? '' : typeof v === 'boolean' ? (v ? 'true' : 'false')
      : Array.isArray(v) ? v.map(function(x){ return nz(String(x)); }).join(';') : nz(String(v));
    return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s; }
  function priorsRow(x, confounders){
    return {source: x.source, target: x.target, answer: x.decision === 'require' ? '-->' : 'none', confidence: 1,
            order_consistent: true, votes: '', confounders: confounders || '', origin: 'analyst',
            rationale: 'analyst decision' + (x.by ? ' by ' + x.by : '') + (x.why ? ': ' + x.why : '')}; }
  // the run's answers, each decided pair's replaced by the decision (a pair no one was asked about added)
  function priorsCsv(){ var byPair = {}, done = {}, out = [pcols.join(',')];
    function pk(a, b){ return JSON.stringify([a, b].sort()); }
    function line(r){ out.push(pcols.map(function(c){ return neutral(r[c]); }).join(',')); }
    decided().forEach(function(x){ byPair[pk(x.source, x.target)] = x; });
    priors.forEach(function(r){ var k = pk(r.source, r.target), x = byPair[k];
      if(x){ done[k] = 1; line(priorsRow(x, r.confounders)); } else line(r); });
    Object.keys(byPair).forEach(function(k){ if(!done[k]) line(priorsRow(byPair[k])); });
    return out.join('\r\n') + '\r\n'; }
  function download(name, text, type){ var a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([text], {type: type})); a.download = name; document.body.appendChild(a);
    a.click(); setTimeout(function(){ URL.revokeObjectURL(a.href); a.remove(); }, 1000); }
  document.getElementById('download-knowledge').addEventListener('click', function(){
    download('decisions.yaml', yaml(), 'text/yaml'); });
  document.getElementById('download-priors').addEventListener('click', function(){
    download('priors.csv', priorsCsv(), 'text/csv'); });
  save();
  document.getElementById('review').setAttribute('data-ready', '1');
})();
"""
