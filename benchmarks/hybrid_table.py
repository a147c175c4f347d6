"""The hybrid policy's table: ``evaluate`` results (``--merge auto,hybrid``) against PC, the data side and
MosaCD's published dirF1, per network (means over seeds).

    python benchmarks/hybrid_table.py benchmarks/results/hybrid/*/results.json

Columns: SHD of PC, of ``auto`` and of ``hybrid`` with the ``gpt4`` profile; hybrid's SHD over PC's (the
issue's target: at most 0.5); hybrid's dirF1 next to MosaCD's; for ``cautious``, ``random`` and
``anonymised``, hybrid's dirF1 minus the data side's (the target: never below -0.03); and the seconds of
hybrid's cell (the LLM's answers come from the cache) next to PC's.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path
from statistics import mean

#: MosaCD's published dirF1 (GPT-4o-mini), as the issue quotes them.
MOSACD = {"asia": 0.93, "child": 0.90, "insurance": 0.87, "alarm": 0.93, "water": 0.59, "hepar2": 0.72,
          "win95pts": 0.81}


def main(paths: list[str]) -> None:
    cells: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for p in paths:
        for r in json.loads(Path(p).read_text())["records"]:
            cells[(r["dataset"], r.get("expert") or "-", r["method"])].append(r)

    def m(net: str, expert: str, method: str, key: str) -> float:
        return mean(float(r[key]) for r in cells[(net, expert, method)])

    nets = sorted({k[0] for k in cells})
    print("| network | PC SHD | auto SHD | hybrid SHD | hybrid / PC | hybrid dirF1 | MosaCD | cautious | random "
          "| anonymised | hybrid s | PC s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for net in nets:
        pc, auto, hyb = (m(net, e, meth, "shd") for e, meth in (("-", "pc"), ("gpt4", "auto"), ("gpt4", "hybrid")))
        d = m(net, "gpt4", "hybrid", "dir_f1")
        mos = MOSACD.get(net)
        data = m(net, "-", "data", "dir_f1")
        gains = [m(net, e, "hybrid", "dir_f1") - data for e in ("cautious", "random", "anonymised")]
        mark = "" if mos is None else (" ✓" if d >= mos else " ✗")
        print(f"| {net} | {pc:.1f} | {auto:.1f} | {hyb:.1f} | {hyb / pc:.2f}{' ✓' if hyb <= 0.5 * pc else ''} | "
              f"{d:.2f}{mark} | {mos if mos is not None else '—'} | "
              + " | ".join(f"{g:+.3f}{' ✗' if g < -0.03 else ''}" for g in gains)
              + f" | {m(net, 'gpt4', 'hybrid', 'wall_s'):.1f} | {m(net, '-', 'pc', 'wall_s'):.1f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
