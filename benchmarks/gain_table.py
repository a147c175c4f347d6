"""The LLM's gain over the data side alone, per network and expert profile, from ``evaluate`` results.

    python benchmarks/gain_table.py benchmarks/results/gain/bundled.json benchmarks/results/gain/networks.json

Prints the Markdown table of docs/results.md (orientation F1 of the default ``auto`` merge minus the
data side's, mean over seeds; ✗ where a target is missed) and which of the stated targets each profile
meets: ``cautious`` never below the data side, ``position-biased`` and ``random`` within 0.01 of it,
``gpt4`` at least +0.10.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

PROFILES = ("gpt4", "cautious", "position-biased", "random")
TARGETS = {"cautious": lambda g: g >= -1e-9, "position-biased": lambda g: abs(g) <= 0.01,
           "random": lambda g: abs(g) <= 0.01, "gpt4": lambda g: g >= 0.10}


def main(paths: list[str]) -> None:
    rows: dict[tuple, dict] = {}
    for f in paths:
        for x in json.loads(Path(f).read_text())["summary"]:
            rows.setdefault((x["dataset"], x["rows"]), {})[(x["expert"], x["method"])] = x
    print("| network | rows | PC | data side alone | " + " | ".join(PROFILES) + " |")
    print("|---|---|---|---|" + "---|" * len(PROFILES))
    met: dict[str, list[tuple[str, bool]]] = {e: [] for e in PROFILES}
    for (d, n), g in sorted(rows.items()):
        cells = []
        for e in PROFILES:
            a = g.get((e, "auto"))
            if a is None:
                cells.append("—")
                continue
            ok = TARGETS[e](a["gain_orientation_f1"])
            met[e].append((d, ok))
            cells.append(f"{a['gain_orientation_f1']:+.3f}" + ("" if ok else " ✗"))
        print(f"| {d} | {n} | {g[('-', 'pc')]['orientation_f1']:.2f} | {g[('-', 'data')]['orientation_f1']:.2f} | "
              + " | ".join(cells) + " |")
    print()
    for e, lst in met.items():
        print(f"{e}: target met on {sum(ok for _, ok in lst)} of {len(lst)}; missed on "
              f"{', '.join(d for d, ok in lst if not ok) or 'none'}")


if __name__ == "__main__":
    main(sys.argv[1:])
