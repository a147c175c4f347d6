"""DOT and pictures: marks, confounder nodes, filtering, and the backends without a system binary."""

from __future__ import annotations

import re

import pytest

from causalllm.errors import RenderError
from causalllm.graph import add_edge, make_graph
from causalllm.render import render, render_backend, to_dot


def test_marks_and_filter():
    G = make_graph(list("abcd"))
    add_edge(G, "a", "b", "-->", status="agree")
    add_edge(G, "b", "c", "---", status="unresolved")
    add_edge(G, "c", "d", "o->", status="data")
    dot = to_dot(G, only=["unresolved"], legend=False)
    assert "dir=none" in dot and "arrowtail=odot" not in dot and 'label=a ' not in dot
    full = to_dot(G)
    assert "arrowtail=odot" in full and "cluster_legend" in full  # dot ranks the legend beside the graph


def test_latent_confounders_are_dashed_nodes():
    G = make_graph(["a", "b"])
    add_edge(G, "a", "b")
    dot = to_dot(G, confounders=[{"source": "a", "target": "b", "confounder": "genes", "measured": False,
                                  "fci_verdict": "data supports"}])
    assert "latent0" in dot and 'causalllm_role=latent' in dot and "FCI: data supports" in dot


def test_render_formats():
    assert render("digraph { a -> b }", "dot") == b"digraph { a -> b }"
    assert b"<svg" in render("digraph { a -> b }", "svg")
    if render_backend("png") is not None:
        assert render("digraph { a -> b }", "png")[:4] == b"\x89PNG"
    with pytest.raises(RenderError, match="unknown format"):
        render("digraph { a -> b }", "gif")


def test_free_layouts_put_the_legend_under_the_drawing_and_confounders_are_not_arrows():
    from causalllm.graph import add_edge, make_graph
    from causalllm.render import to_dot

    G = make_graph(["a", "b", "c"])
    add_edge(G, "a", "b", status="agree")
    add_edge(G, "b", "c", status="reversed")
    conf = [{"source": "a", "target": "c", "confounder": "U", "measured": False}]
    for layout in ("neato", "fdp", "circo"):
        src = to_dot(G, layout=layout, confounders=conf)
        assert "cluster_legend" not in src and "labelloc=b" in src and "red bold: reversed" in src
    latent = to_dot(G, confounders=conf)
    assert 'latent0 -> n0 [color="#762a83" constraint=false dir=none' in latent  # dotted, no arrowhead
    pairs = to_dot(G, confounders=conf, confounders_view="pairs")
    assert "latent0" not in pairs and "n0 -> n2" in pairs and "dir=none" in pairs
    assert "U" not in to_dot(G, confounders=conf, confounders_view="none")


def test_render_is_bounded_and_png_width_is_honoured(tmp_path):
    import struct

    from causalllm.errors import RenderError
    from causalllm.render import render

    src = "digraph { " + " ".join(f"n{i} -> n{(i * 7) % 40};" for i in range(40)) + " }"
    with pytest.raises(RenderError, match="longer than .* graph.dot is written"):
        render(src, "svg", timeout=1e-4)
    png = render(src, "png", width=900)
    assert png[:4] == b"\x89PNG" and abs(struct.unpack(">I", png[16:20])[0] - 900) <= 1
    natural = float(re.search(r'width="([\d.]+)pt"', render(src, "svg").decode()).group(1))
    assert abs(struct.unpack(">I", render(src, "png")[16:20])[0] - natural * 192 / 72) <= 1  # twice the old 96 dpi
