"""The contract of ``edges.csv`` as executable checks, shared by the label tests (merge) and the
knowledge tests (data): every status and ``kept`` value is true to the drawn graph."""

from __future__ import annotations

import re

import numpy as np
from fakes import ans

from causalllm.graph import mark_between, pair_key
from causalllm.merge.calibrate import usable_direction


def _direction(G, a, b):
    m = mark_between(G, a, b)
    return (a, b) if m == "-->" else (b, a) if m == "<--" else None


def expert(pc, truth, accuracy, none_rate, seed=0, every_pair=False):
    """Answers for every pair PC connects and a few it does not: right with ``accuracy``, else reversed;
    ``none_rate`` of them 'no relation'; a useless expert answers nothing usable. ``every_pair``: every pair
    is asked, and a pair with no true edge gets 'no relation' with ``accuracy`` (else a claim)."""
    rng = np.random.default_rng(seed)
    nodes = list(pc.graph_.nodes)
    keys = {pair_key(u, v) for u, v in pc.graph_.edges}
    keys |= {pair_key(*rng.choice(nodes, 2, replace=False)) for _ in range(len(nodes))}
    if every_pair:
        keys = {pair_key(a, b) for i, a in enumerate(nodes) for b in nodes[i + 1:]}
    pairs = {}
    for key in sorted(keys, key=sorted):
        a, b = sorted(key)
        if accuracy is None:
            pairs.update([ans(a, b, str(rng.choice(["invalid", "unanswered", "unsure"])), 0.0, None)])
            continue
        true = (a, b) if truth.has_edge(a, b) else (b, a) if truth.has_edge(b, a) else None
        if every_pair and true is None and rng.random() < accuracy:
            pairs.update([ans(a, b, "none", float(rng.uniform(0.5, 1)))])
            continue
        if rng.random() < none_rate:
            pairs.update([ans(a, b, "none", float(rng.uniform(0.5, 1)))])
            continue
        right = true or tuple(rng.permutation([a, b]))
        u, v = right if rng.random() < accuracy else right[::-1]
        pairs.update([ans(u, v, "-->", float(rng.uniform(0.5, 1)), bool(rng.random() < 0.9))])
    return pairs


#: What each status says, as a check on (final direction, data side's direction, LLM's, PC's mark, the marks
#: drawn in the final graph and on the data side, the row, whether the LLM claimed a direct cause).
STATUS_RULES = {
    "agree": lambda f, d, llm, pc, g, dm, r, claim: f == llm == d is not None,
    "oriented_by_llm": lambda f, d, llm, pc, g, dm, r, claim: f == llm is not None and d is None,
    "reversed": lambda f, d, llm, pc, g, dm, r, claim: None not in (llm, d) and llm != d,
    "data": lambda f, d, llm, pc, g, dm, r, claim: g == dm == pc,
    "revised": lambda f, d, llm, pc, g, dm, r, claim: g == dm != pc,
    "implied": lambda f, d, llm, pc, g, dm, r, claim: f is not None and f not in (d, llm)
    and r["kept"] in ("meek", "rerun"),
    "unresolved": lambda f, d, llm, pc, g, dm, r, claim: f is None,
    "llm_only": lambda f, d, llm, pc, g, dm, r, claim: pc is None and claim,
    # the LLM says no direct relation; PC's edge stands
    "data_only": lambda f, d, llm, pc, g, dm, r, claim: pc is not None and llm is None and not claim and g is not None,
    # PC-stable removed it, PC-Guess kept it: in the graph, on the data's word
    "guided": lambda f, d, llm, pc, g, dm, r, claim: pc is None and None not in (g, dm),
    # PC-stable kept it, PC-Guess separated it: not drawn
    "separated": lambda f, d, llm, pc, g, dm, r, claim: pc is not None and g is None and dm is None,
    # PC removed it, the hybrid policy's score-based re-search put it back: in the graph and on its data side
    "restored": lambda f, d, llm, pc, g, dm, r, claim: pc is None and None not in (g, dm),
    # PC kept it, the re-search removed it: not drawn
    "pruned": lambda f, d, llm, pc, g, dm, r, claim: pc is not None and g is None and dm is None,
}
#: Whose arrow ``kept`` says is drawn, as a check on (final direction, data side's, LLM's).
KEPT_RULES = {
    "llm": lambda f, d, llm: f == llm and f != d,
    "data": lambda f, d, llm: f == d is not None and f != llm,
    "both": lambda f, d, llm: f == d == llm is not None,
    "meek": lambda f, d, llm: f is not None and f not in (d, llm),
    "rerun": lambda f, d, llm: f is not None and f not in (d, llm),
    "": lambda f, d, llm: f is None,
}


def check_rows(rows, G, D, pc, pairs, policy, knowledge=None):
    """Every row draws what the graph has, and its status and ``kept`` are true to the drawn graph; with the
    analyst's ``knowledge``, ``analyst``/``knowledge`` exactly where the drawn arrow is the one it sets."""
    for r in rows:
        analyst = knowledge.direction(r["source"], r["target"]) if knowledge is not None else None
        f = _direction(G, r["source"], r["target"])
        assert (r["status"] == "analyst") == (f is not None and f == analyst), r
        assert (r.get("kept") == "knowledge") == (f is not None and f == analyst and "kept" in r), r
        if r["status"] == "analyst":
            continue
        a, b = r["source"], r["target"]
        key = pair_key(a, b)
        f_dir, d_dir, pc_m = _direction(G, a, b), _direction(D, a, b), mark_between(pc.graph_, a, b)
        llm = usable_direction(pairs.get(key))
        where = (policy, a, b, r["status"], r.get("kept"), r.get("decision"))
        assert r["in_graph"] == (mark_between(G, a, b) is not None), where
        assert r["directed"] == (f_dir == (a, b)), where
        claim = key in pairs and pairs[key].directed() is not None
        rule = STATUS_RULES.get(r["status"])
        assert rule is not None, f"no rule states what {r['status']!r} means: {where}"
        assert rule(f_dir, d_dir, llm, pc_m, mark_between(G, a, b), mark_between(D, a, b), r,
                                    claim), where
        kept = r.get("kept")
        if kept is not None:
            assert KEPT_RULES[kept](f_dir, d_dir, llm), where
        if kept in ("meek", "rerun"):  # neither side's arrow: a PC re-run's only under the policy that re-runs
            assert (kept == "rerun") == policy.endswith("prior"), where
        # a skipped orientation is never the drawn one unless the decision says what drew it
        m = re.search(r"orientation (\S+) -> (\S+) skipped", r.get("decision", ""))
        if m and f_dir == (m.group(1), m.group(2)):
            assert "the graph shows" in r["decision"], where
