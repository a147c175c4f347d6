"""The conservative reading of PC's colliders: triples and robust orientations."""

from __future__ import annotations

from fakes import CALIB, fit

from causalllm.discovery.colliders import classify_triples, robust_orientations


def test_robust_orientations_are_the_unconflicted_colliders():
    _ds, pc = fit(CALIB)
    triples = classify_triples(pc)
    assert any(t.kind == "collider" and t.z == "q1" for t in triples)
    R = robust_orientations(pc, triples)
    # the colliders' edges only: q1 -> s1 follows by Meek's rules, which robust orientations leave out
    assert {(u, v) for u, v, m in R.edges(data="mark") if m == "-->"} == set(CALIB) - {("q1", "s1")}


def test_a_chain_has_a_noncollider_and_no_robust_orientation():
    _ds, pc = fit([("a", "b"), ("b", "c")])
    triples = classify_triples(pc)
    assert [(t.x, t.z, t.y, t.kind) for t in triples] == [("a", "b", "c", "noncollider")]
    assert triples[0].share == 1.0
    assert triples[0].n_sep >= 1
    assert all(m == "---" for _, _, m in robust_orientations(pc, triples).edges(data="mark"))


def test_excluded_pairs_get_no_collider_vote():
    _ds, pc = fit(CALIB)
    R = robust_orientations(pc, classify_triples(pc), exclude={frozenset(("p1", "q1"))})
    assert R.edges["p1", "q1"]["mark"] == "---"
    assert R.edges["r1", "q1"]["mark"] == "-->"
