"""The README's per-network table: PC against each merge policy, per simulated expert profile.

Reads the ``results.json`` of ``causalllm evaluate ... --out FOLDER`` runs and prints one row per
(network, profile): orientation F1 of PC and of each policy, then the default policy's dirF1 and
normalized SHD (PC's beside it), and the published MosaCD dirF1 (GPT-4o-mini, n = 20 000) for the
network, clearly a different expert and sample size.

    python examples/round_two_table.py /tmp/bench/eval-*
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

#: MosaCD (Lyu et al. 2025), directed-edge F1 with GPT-4o-mini at n = 20 000, as the issue quotes them.
MOSACD = {"asia": 0.93, "child": 0.90, "insurance": 0.87, "alarm": 0.93, "water": 0.59, "hepar2": 0.72,
          "win95pts": 0.81}
POLICIES = ("auto", "guided", "orient", "prior")
PROFILES = ("perfect", "gpt4", "topical", "confident-wrong", "anonymised", "random")


def main(folders: list[str]) -> None:
    rows: dict[tuple, dict] = {}
    for f in folders:
        for r in json.loads((Path(f) / "results.json").read_text())["summary"]:
            rows[(r["dataset"], r["expert"], r["method"])] = r
    nets = sorted({k[0] for k in rows}, key=lambda n: list(MOSACD).index(n) if n in MOSACD else 99)
    print("| network (rows) | expert | PC | auto | guided | orient | prior | auto dirF1 | auto nSHD (PC) | "
          "MosaCD dirF1 (real LLM) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for net in nets:
        pc = rows[(net, "-", "pc")]
        for prof in PROFILES:
            if (net, prof, "auto") not in rows:
                continue
            f1 = [rows.get((net, prof, p), {}).get("orientation_f1") for p in POLICIES]
            best = max(v for v in f1 if v is not None)
            cells = [(f"**{v:.2f}**" if v == best else f"{v:.2f}") if v is not None else "" for v in f1]
            a = rows[(net, prof, "auto")]
            print(f"| {net} ({pc['rows']}) | {prof} | {pc['orientation_f1']:.2f} | {' | '.join(cells)} | "
                  f"{a['dir_f1']:.2f} | {a['normalized_shd']:.2f} ({pc['normalized_shd']:.2f}) | "
                  f"{MOSACD.get(net, float('nan')):.2f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
