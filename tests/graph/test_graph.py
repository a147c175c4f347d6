"""The one graph representation, the one status table, and reading graphs."""

from __future__ import annotations

import pytest

from causalllm.errors import DataError
from causalllm.graph import add_edge, creates_cycle, directed_edges, make_graph, mark_between, read_graph
from causalllm.merge.statuses import DISAGREEMENTS, STATUSES
from causalllm.output.render import to_dot


def test_one_arc_per_pair_whatever_the_order():
    G = make_graph(["a", "b"])
    add_edge(G, "b", "a", "---")
    add_edge(G, "a", "b", "<--", p_value=0.1)  # replaces the pair's arc, keeps its attributes
    assert list(G.edges(data=True)) == [("b", "a", {"p_value": 0.1, "mark": "-->", "directed": True})]
    assert mark_between(G, "a", "b") == "<--"
    assert directed_edges(G) == {("b", "a")}
    with pytest.raises(ValueError, match="unknown edge mark"):
        add_edge(G, "a", "b", "==>")


def test_creates_cycle():
    G = make_graph("abc")
    add_edge(G, "a", "b")
    add_edge(G, "b", "c")
    assert creates_cycle(G, "c", "a")
    assert not creates_cycle(G, "a", "c")


def test_the_status_table_is_complete_and_used():
    assert DISAGREEMENTS == ("reversed", "data_only", "llm_only", "separated", "pruned", "unresolved")
    for s in STATUSES.values():
        assert s.legend
        assert s.color.startswith("#")
        assert s.style in ("solid", "dashed", "dotted", "bold")
        assert s.help or s.name in ("llm", "confounder")  # pseudo-statuses need no report entry
    # render draws each status with the table's style and legend text
    nodes = "abcdefghijklmnop"
    G = make_graph(list(nodes))
    for i, name in enumerate(n for n in STATUSES if n != "confounder"):
        add_edge(G, nodes[i], nodes[(i + 1) % len(nodes)], "-->", status=name)
    dot = to_dot(G)
    for name, s in STATUSES.items():
        if name != "confounder":
            assert f'color="{s.color}"' in dot, name
            assert s.legend.split(":")[0] in dot, name


def test_read_graph_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        read_graph(tmp_path / "none.csv")
    (tmp_path / "g.txt").write_text("a b")
    with pytest.raises(DataError, match="unknown graph format"):
        read_graph(tmp_path / "g.txt")
    (tmp_path / "g.json").write_text("{not json")
    with pytest.raises(DataError, match="could not read graph"):
        read_graph(tmp_path / "g.json")
    (tmp_path / "e.csv").write_text("from,to\na,b\n")
    with pytest.raises(DataError, match="'source' and 'target'"):
        read_graph(tmp_path / "e.csv")
