"""The one writer of the output folder: every file a run writes goes through :func:`save`.

The data files come first and the picture after them (a slow render never holds back
``edges.csv``); each file is written whole (to a temporary name, then renamed); the previous
run's files are removed first and ``manifest.json`` is written last, so a folder without one is
an interrupted save (:func:`check_complete`).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx

from ..contract import CONFOUNDER_COLUMNS, MANIFEST, OUTPUTS, PRIORS_COLUMNS, csv_text, require_complete, truthy
from ..errors import ConfigError, RenderError
from ..graph import EXPORT_FORMATS, write_exports
from ..secrets import scrub
from .render import render
from .report import report_html
from .result import graph_for_export
from .transaction import OutputFolder, planned_outputs

if TYPE_CHECKING:
    from .result import DiscoveryResult

__all__ = ["check_complete", "ensure_out_dir", "save", "write_csv", "write_file"]

log = logging.getLogger("causalllm")


def ensure_out_dir(path: str | Path) -> Path:
    """Create ``path`` if needed and check it is writable (one-line error otherwise)."""
    p = Path(path)
    try:
        p.mkdir(parents=True, exist_ok=True)
        probe = p / ".causalllm-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as e:
        raise ConfigError(f"cannot write to output folder {p} ({e.strerror or e}); choose another --out") from None
    return p


def write_csv(path: Path, rows: Iterable[Any], columns: list[str]) -> None:
    """Write rows (dicts) with the given columns, whole (see :func:`csv_text`)."""
    _write(path, csv_text(rows, columns))


def _write(path: Path, content: str | bytes) -> Path:
    """Write one file whole and scrubbed of every secret, outside a run's folder transaction (``render``,
    ``evaluate``'s results): to a temporary name beside it, then renamed over it."""
    tmp = path.with_name(f".{path.name}.partial")
    try:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()  # never write through a link planted under the temporary name
        fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(_scrubbed(content))
        os.replace(tmp, path)
    except OSError as e:
        raise ConfigError(f"cannot write {path} ({e.strerror or e}); check the disk and choose another --out") from None
    return path


def write_file(path: Path, content: str | bytes) -> Path:
    """Write one file through the output folder's writer (scrubbed, whole); for ``render`` and the like."""
    return _write(path, content)


def check_complete(folder: Path) -> dict:
    """The manifest of a results folder, or a one-line error when the run that wrote it did not finish."""
    require_complete(folder)
    m = folder / MANIFEST
    if not m.exists():
        return {}
    manifest = json.loads(m.read_text(encoding="utf-8"))
    if manifest.get("missing"):
        log.warning("%s was written by an interrupted run: %s not done", folder, ", ".join(manifest["missing"]))
    return manifest


#: Every file a run may write besides the manifest (globs).
_OUTPUTS = (*OUTPUTS, *(f"{stem}{f.suffix}" for stem in ("graph", "pc", "llm") for f in EXPORT_FORMATS.values()))


def save(result: DiscoveryResult, out_dir: str | Path, *, fmt: str = "svg", layout: str = "dot", rankdir: str = "LR",
         exports: Sequence[str] = (), png_width: int | None = None, confounders_view: str = "latent",
         png_dpi: float | None = None, folder: OutputFolder | None = None, force: bool = False) -> dict[str, Path]:
    """Write every output file of ``result`` into ``out_dir`` as one transaction
    (:class:`~causalllm.output.transaction.OutputFolder`); return name → path of what was written.

    The data files come first and the picture after them (a slow render never holds back
    ``edges.csv``); every file passes through one writer, which scrubs every secret; ``manifest.json``,
    listing the files, comes last. ``folder``: the run's folder, opened (and checked) before any work;
    without it one is opened here.
    """
    if folder is None:
        with OutputFolder.open(out_dir, planned_outputs(fmt, exports), force=force) as opened:
            return save(result, out_dir, fmt=fmt, layout=layout, rankdir=rankdir, exports=exports,
                        png_width=png_width, confounders_view=confounders_view, png_dpi=png_dpi, folder=opened)

    def put(name: str, content: str | bytes) -> Path:
        return folder.write(name, _scrubbed(content))

    written: dict[str, Path] = {}
    dot_src = scrub(result.to_dot(layout=layout, rankdir=rankdir, confounders_view=confounders_view))
    written["dot"] = put("graph.dot", dot_src)
    H = graph_for_export(result.graph)
    buf = io.BytesIO()
    nx.write_graphml(H, buf)
    written["graphml"] = put("graph.graphml", buf.getvalue())
    written["json"] = put("graph.json", json.dumps(nx.node_link_data(H, edges="edges"), indent=1, default=str))
    written["edges"] = put("edges.csv", csv_text(result.rows, result.columns))
    if result.answers:
        written["answers"] = put("llm_answers.jsonl", "".join(json.dumps(a, default=str) + "\n" for a in result.answers))
    if result.priors_rows:
        written["priors"] = put("priors.csv", csv_text(result.priors_rows, PRIORS_COLUMNS))
    if result.confounders:
        written["confounders"] = put("confounders.csv", csv_text(result.confounders, CONFOUNDER_COLUMNS))
    if exports:  # the merged, PC and LLM graphs for DoWhy, dagitty, Tetrad, pcalg/bnlearn
        written.update(_exports(result, Path(out_dir), exports, put))
    t0 = time.perf_counter()
    svg_text = _picture(dot_src, fmt, layout, png_width, png_dpi, put, written)
    timings = dict(result.manifest.get("timings_s") or {}, render=round(time.perf_counter() - t0, 4))
    t0 = time.perf_counter()
    log.info("writing the report...")
    html = report_html(result, svg_text)
    timings["report"] = round(time.perf_counter() - t0, 4)
    result.manifest = dict(result.manifest, complete=not result.missing, missing=list(result.missing),
                           timings_s=timings)
    written["report"] = put("report.html", html)
    written["manifest"] = folder.commit(result.manifest)
    return written


def _picture(dot_src: str, fmt: str, layout: str, png_width: int | None, png_dpi: float | None,
             put: Callable[[str, str | bytes], Path], written: dict[str, Path]) -> str:
    """``graph.<fmt>`` (a failed render is a warning: graph.dot is written); returns the SVG for the report."""
    log.info("drawing the graph...")
    svg_text = ""
    if fmt != "dot":
        try:
            picture = render(dot_src, fmt, layout, width=png_width, dpi=png_dpi)
            written[fmt] = put(f"graph.{fmt}", picture)
            svg_text = picture.decode("utf-8") if fmt == "svg" else ""
        except RenderError as e:
            log.warning("could not write graph.%s: %s (graph.dot is written)", fmt, e)
    if not svg_text:
        try:
            svg_text = render(dot_src, "svg", layout).decode("utf-8")
        except RenderError:
            svg_text = ""
    return svg_text


def _exports(result: DiscoveryResult, out: Path, exports: Sequence[str], put: Callable[[str, str], Path]
             ) -> dict[str, Path]:
    """The merged, PC and LLM graphs in each interchange format, through the folder's writer."""
    latent = [(c["confounder"], c["source"], c["target"]) for c in result.confounders if not truthy(c["measured"])]
    graphs = [("graph", result.graph, latent), ("pc", result.pc_graph, [])]
    if result.llm_graph is not None and result.llm_graph.number_of_edges():
        graphs.append(("llm", result.llm_graph, []))
    written: dict[str, Path] = {}
    for stem, G, lat in graphs:
        written.update(write_exports(G, out / stem, exports, lat, write=lambda path, text: put(path.name, text)))
    return written


def _scrubbed(content: str | bytes) -> bytes:
    """A file's bytes with every secret scrubbed (text, and SVG; other pictures are drawn from scrubbed DOT)."""
    if isinstance(content, str):
        return scrub(content).encode("utf-8")
    if content[:5] in (b"<?xml", b"<svg "):
        return scrub(content.decode("utf-8", errors="replace")).encode("utf-8")
    return content
