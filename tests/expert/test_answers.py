"""What the LLM said: combined answers, priors files and the LLM's own graph."""

from __future__ import annotations

import pytest
from conftest import write

from causalllm.data import load_dataset
from causalllm.errors import DataError
from causalllm.expert.answers import PairAnswer, combine_votes, llm_graph, read_priors


def test_answer_and_votes_read_from_either_end():
    p = PairAnswer("a", "b", "<--", 0.8, True, "r", {"<--": 2, "none": 1})
    assert (p.answer_from("a"), p.votes_from("a")) == ("<--", "<--:2 none:1")
    assert (p.answer_from("b"), p.votes_from("b")) == ("-->", "-->:2 none:1")  # the row b -> a


def _rec(first, canonical, conf=0.8):
    return {"status": "ok", "canonical": canonical, "confidence": conf, "rationale": f"{first} says {canonical}",
            "asked_first": first, "asked_second": "b" if first == "a" else "a"}


def test_combine_votes():
    p = combine_votes(("a", "b"), [_rec("a", "-->"), _rec("b", "-->", 0.6)])
    assert (p.answer, p.order_consistent, p.votes, p.confidence) == ("-->", True, {"-->": 2}, 0.7)
    p = combine_votes(("a", "b"), [_rec("a", "-->"), _rec("b", "none")])
    assert p.order_consistent is False
    assert (p.answer, p.confidence) == ("unsure", 0.0)  # a split vote is no answer
    assert p.rationale == "split vote (-->: 1, none: 1)"
    # a 1-1 split between the two directions is never broken toward the row's order, nor by confidence
    p = combine_votes(("a", "b"), [_rec("a", "-->", 0.9), _rec("b", "<--", 0.3)])
    assert (p.answer, p.votes) == ("unsure", {"-->": 1, "<--": 1})
    assert PairAnswer("a", "b", p.answer).directed() is None
    p = combine_votes(("a", "b"), [_rec("a", "-->"), _rec("a", "-->"), _rec("b", "<--")])
    assert (p.answer, p.confidence) == ("-->", round(2 / 3 * 0.8, 4))  # a plurality still answers
    p = combine_votes(("a", "b"), [{"status": "invalid", "raw": "nope", "error": "not JSON"}])
    assert p.answer == "invalid"
    assert "not JSON" in p.rationale
    assert combine_votes(("a", "b"), [{"status": "unanswered", "error": "HTTP 500"}]).answer == "unanswered"


def test_llm_graph_breaks_cycles_at_the_least_confident_edge():
    pairs = {frozenset(k): PairAnswer(k[0], k[1], "-->", c) for k, c in
             [(("a", "b"), 0.9), (("b", "c"), 0.5), (("c", "a"), 0.8)]}
    G, removed = llm_graph(pairs, ["a", "b", "c"])
    assert removed == [{"source": "b", "target": "c", "reason": "broke a cycle (least confident edge in it)"}]
    assert sorted(G.edges) == [("a", "b"), ("c", "a")]


@pytest.mark.parametrize(("content", "message"), [
    ("source,target,answer\nasia,tub,maybe\n", "answer 'maybe' must be"),
    ("source,target,answer\nasia,nope,-->\n", "'nope' is not a data column"),
    ("source,target,answer,confidence\nasia,tub,-->,2\n", "must be between 0 and 1"),
    ("source,answer\nasia,-->\n", "lacks column"),
])
def test_bad_priors_files(tmp_path, content, message):
    with pytest.raises(DataError, match=message):
        read_priors(write(tmp_path / "p.csv", content), load_dataset("asia"))


def test_priors_rows_are_put_in_canonical_order(tmp_path):
    pairs, conf = read_priors(write(tmp_path / "p.csv", "source,target,answer,confounders\ntub,asia,-->,Smoke;genes\n"),
                              load_dataset("asia"))
    p = pairs[frozenset(("asia", "tub"))]
    assert (p.source, p.target, p.answer, p.confidence) == ("asia", "tub", "<--", 1.0)
    assert conf[frozenset(("asia", "tub"))] == [{"name": "smoke", "measured": True, "rationale": ""},
                                                {"name": "genes", "measured": False, "rationale": ""}]
