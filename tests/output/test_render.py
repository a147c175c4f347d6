"""DOT and pictures: marks, confounder nodes, filtering, and the backends without a system binary."""

from __future__ import annotations

import re

import pytest

from causalllm.errors import RenderError
from causalllm.graph import add_edge, make_graph
from causalllm.merge.statuses import STATUSES
from causalllm.output.render import render, render_backend, to_dot


def test_marks_and_filter():
    G = make_graph(list("abcd"))
    add_edge(G, "a", "b", "-->", status="agree")
    add_edge(G, "b", "c", "---", status="unresolved")
    add_edge(G, "c", "d", "o->", status="data")
    dot = to_dot(G, only=["unresolved"], legend=False)
    assert "dir=none" in dot
    assert "arrowtail=odot" not in dot
    assert 'label=a ' not in dot
    full = to_dot(G)
    assert "arrowtail=odot" in full
    assert "cluster_legend" in full


def test_latent_confounders_are_dashed_nodes():
    G = make_graph(["a", "b"])
    add_edge(G, "a", "b")
    dot = to_dot(G, confounders=[{"source": "a", "target": "b", "confounder": "genes", "measured": False,
                                  "fci_verdict": "data supports"}])
    assert "latent0" in dot
    assert 'causalllm_role=latent' in dot
    assert "FCI: data supports" in dot


def test_render_formats():
    assert render("digraph { a -> b }", "dot") == b"digraph { a -> b }"
    assert b"<svg" in render("digraph { a -> b }", "svg")
    if render_backend("png") is not None:
        assert render("digraph { a -> b }", "png")[:4] == b"\x89PNG"
    with pytest.raises(RenderError, match="unknown format"):
        render("digraph { a -> b }", "gif")


def test_free_layouts_put_the_legend_under_the_drawing_and_confounders_are_not_arrows():
    from causalllm.graph import add_edge, make_graph
    from causalllm.output.render import to_dot

    G = make_graph(["a", "b", "c"])
    add_edge(G, "a", "b", status="agree")
    add_edge(G, "b", "c", status="reversed")
    conf = [{"source": "a", "target": "c", "confounder": "U", "measured": False}]
    for layout in ("neato", "fdp", "circo"):
        src = to_dot(G, layout=layout, confounders=conf)
        assert "cluster_legend" not in src
        assert "labelloc=b" in src
        assert "red bold: reversed" in src
    latent = to_dot(G, confounders=conf)
    assert 'latent0 -> n0 [causalllm_role=confounder color="#762a83" constraint=false dir=none' in latent  # no arrowhead
    pairs = to_dot(G, confounders=conf, confounders_view="pairs")
    assert "latent0" not in pairs
    assert "n0 -> n2" in pairs
    assert "dir=none" in pairs
    assert "U" not in to_dot(G, confounders=conf, confounders_view="none")


@pytest.mark.parametrize("backend", ["system", "wasm"])
def test_render_is_bounded_and_png_width_is_honoured(backend):
    """Both backends — the system Graphviz (installed by make test, as analysts have it) and the WebAssembly
    one — honour the time bound, --width and --dpi."""
    import shutil
    import struct

    from causalllm.errors import RenderError
    from causalllm.output.render import render

    if backend == "system":
        assert shutil.which("dot"), "make test installs Debian's graphviz: the system backend must be tested"
    b = None if backend == "system" else "wasm"
    assert render_backend("png", b) == ("dot" if backend == "system" else "wasm+resvg")
    src = "digraph { " + " ".join(f"n{i} -> n{(i * 7) % 40};" for i in range(40)) + " }"
    # a drawing that takes far longer than the bound, even on a machine that schedules this thread late
    slow = "digraph { " + " ".join(f"n{i} -> n{(i * 7) % 300};" for i in range(300)) + " }"
    for fmt in ("svg", "png"):
        with pytest.raises(RenderError, match=r"longer than .* graph\.dot is written"):
            render(slow, fmt, timeout=1e-4, backend=b)
    png = render(src, "png", width=900, backend=b)
    assert png[:4] == b"\x89PNG"
    assert abs(struct.unpack(">I", png[16:20])[0] - 900) <= 1
    natural = float(re.search(r'width="([\d.]+)pt"', render(src, "svg", backend=b).decode()).group(1))
    assert abs(struct.unpack(">I", render(src, "png", backend=b)[16:20])[0] - natural * 192 / 72) <= 2
    assert abs(struct.unpack(">I", render(src, "png", dpi=300, backend=b)[16:20])[0] - natural * 300 / 72) <= 2


def _groups(svg, cls):
    """Each ``<g class=cls>`` of a Graphviz SVG with its nested tooltip ``<g id="a_...">``."""
    pieces = svg.split('<g id="')
    for i, piece in enumerate(pieces):
        if f'class="{cls}"' in piece.split(">", 1)[0]:
            yield piece + (pieces[i + 1] if i + 1 < len(pieces) and pieces[i + 1].startswith("a_") else "")


def _points(g):
    """Every point of a group's polygons, paths and ellipses' extremes."""
    pts = re.findall(r'points="([^"]+)"', g) + [" ".join(re.findall(r"-?[\d.]+,-?[\d.]+", d))
                                                 for d in re.findall(r'<path[^>]* d="([^"]+)"', g)]
    out = [tuple(map(float, p.split(","))) for chunk in pts for p in chunk.split()]
    for cx, cy, rx, ry in re.findall(r'<ellipse[^>]*cx="([-\d.]+)" cy="([-\d.]+)" rx="([\d.]+)" ry="([\d.]+)"', g):
        out += [(float(cx) - float(rx), float(cy) - float(ry)), (float(cx) + float(rx), float(cy) + float(ry))]
    return out


def svg_boxes(svg, cls):
    """The bounding box ``(x0, y0, x1, y1, group)`` of each ``<g class=cls>`` of a Graphviz SVG."""
    out = []
    for g in _groups(svg, cls):
        pts = _points(g)
        if pts:
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            out.append((min(xs), min(ys), max(xs), max(ys), g))
    return out


@pytest.mark.parametrize("layout", ["dot", "neato", "fdp", "circo"])
def test_the_legend_never_covers_a_node_on_alarm(tmp_path, layout):
    """Alarm (37 variables) with every status and confounders: in the rendered SVG no variable's box
    overlaps the legend, whatever the layout."""
    from causalllm.data import load_dataset
    from causalllm.discovery.pc import PCDiscovery
    from causalllm.merge import merge
    from causalllm.output.render import render, to_dot

    ds = load_dataset("alarm")
    pc = PCDiscovery().fit(ds)
    G = merge(pc, {}, "report").graph
    for i, (u, v) in enumerate(G.edges):
        G.edges[u, v]["status"] = ["data", "agree", "reversed", "oriented_by_llm", "unresolved", "revised"][i % 6]
    conf = [{"source": u, "target": v, "confounder": f"U{i}", "measured": False} for i, (u, v) in
            enumerate(list(G.edges)[:8])]
    svg = render(to_dot(G, title="alarm", layout=layout, confounders=conf), "svg", layout).decode()

    nodes = [b for b in svg_boxes(svg, "node") if "legend" not in b[4]]
    assert len(nodes) >= 37
    if layout == "dot":
        legend = svg_boxes(svg, "cluster")
    else:  # the text legend: the graph's own label, below every node
        ys = [float(y) for y in re.findall(r'<text[^>]*y="([-\d.]+)"[^>]*>green solid', svg)]
        assert ys
        assert all(y > b[3] for y in ys for b in nodes)
        return
    assert legend
    for lx0, ly0, lx1, ly1, _ in legend:
        for x0, y0, x1, y1, _ in nodes:
            assert x1 < lx0 or x0 > lx1 or y1 < ly0 or y0 > ly1, "a node under the legend"


def test_every_mark_drawn_has_a_legend_entry_and_confounders_are_not_unresolved():
    G = make_graph(list("abcd"))
    add_edge(G, "a", "b", "---", status="data")  # --llm none: an undirected data edge
    add_edge(G, "b", "c", "---", status="unresolved")
    dot = to_dot(G, confounders=[{"source": "c", "target": "d", "confounder": "U", "measured": False}])
    assert "no arrowhead: undirected" in dot
    conf, unresolved = STATUSES["confounder"], STATUSES["unresolved"]
    assert (conf.style, conf.color) != (unresolved.style, unresolved.color)
    assert conf.style != unresolved.style  # told apart by line style, not only by colour
    assert "no arrowhead" not in to_dot(make_graph(["a", "b"]))  # no undirected edge, no entry


@pytest.mark.parametrize("dataset", ["sachs", "alarm"])
def test_the_legend_takes_at_most_a_fifth_of_the_drawing(tmp_path, dataset):
    """The demo's picture and the 37-variable Alarm one, rendered: the legend's box covers at most a fifth of the
    drawing's area."""
    from click.testing import CliRunner

    from causalllm.cli import cli

    out = tmp_path / dataset
    assert CliRunner().invoke(cli, ["discover", dataset, "--llm", "simulated", "--profile", "gpt4", "--out",
                                    str(out)]).exit_code == 0
    svg = (out / "graph.svg").read_text()
    size = re.search(r'<svg[^>]*width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    area = float(size.group(1)) * float(size.group(2))
    (x0, y0, x1, y1, _), = [b for b in svg_boxes(svg, "cluster") if "legend" in b[4]]
    assert (x1 - x0) * (y1 - y0) <= area / 5, ((x1 - x0) * (y1 - y0) / area)
