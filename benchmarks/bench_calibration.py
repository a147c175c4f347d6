"""How much to trust an expert before calibration edges speak: the merge under several expert priors, across profiles.

For each network, sample size and seed, PC runs once and each simulated expert profile answers
once; then ``merge`` (pure) is re-run under every (expert prior, robust-data prior) setting of
``causalllm.merge.calibrate``, and under the other policies for reference. Prints, per profile and
setting, mean orientation F1, dirF1 and SHD minus PC's, and the worst per-network change.

    python benchmarks/bench_calibration.py [--networks asia,child,alarm,insurance,sachs] [--rows 2000,10000]
        [--seeds 3] [--profiles perfect,gpt4,topical,anonymised,confident-wrong,random]

bnlearn networks are sampled from pgmpy's bundled files (``causalllm[bn]``); ``sachs`` uses the
bundled (continuous, real) rows, as the demo does.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import warnings
from collections import defaultdict

from causalllm import merge as merging
from causalllm.bench.evaluate import _resolve, _subsample
from causalllm.bench.networks import network_sample
from causalllm.config import LLMConfig
from causalllm.discovery.pc import PCDiscovery
from causalllm.expert.asker import LLMPriors
from causalllm.expert.client import open_llm
from causalllm.graph.metrics import compare

#: name -> module attributes of causalllm.merge to set for the auto policy
SETTINGS = {
    "flat, d fixed (old)": {"EXPERT_PRIOR": (0.5, 0.0), "ROBUST_PRIOR": (0.8, 1000.0)},
    "flat, d loose": {"EXPERT_PRIOR": (0.5, 0.0)},
    "0.75x4, d loose (default)": {},
    "0.75x8, d loose": {"EXPERT_PRIOR": (0.75, 8.0)},
    "0.75x4, d firm": {"ROBUST_PRIOR": (0.8, 20.0)},
    "0.85x8, d loose": {"EXPERT_PRIOR": (0.85, 8.0)},
    "local, x2": {"LOCAL_CALIBRATION": True, "LOCAL_STRENGTH": 2.0},
    "local, x4": {"LOCAL_CALIBRATION": True, "LOCAL_STRENGTH": 4.0},
    "local, x8": {"LOCAL_CALIBRATION": True, "LOCAL_STRENGTH": 8.0},
}
REAL_ROWS = {"sachs"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--networks", default="asia,child,alarm,insurance,sachs")
    ap.add_argument("--rows", default="2000,10000")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--profiles", default="perfect,gpt4,topical,anonymised,confident-wrong,random")
    ap.add_argument("--policies", default="guided,orient,prior")
    ap.add_argument("--settings", default=";".join(SETTINGS), help="calibration settings to run, ;-separated")
    args = ap.parse_args()
    logging.getLogger("causalllm").setLevel(logging.ERROR)
    warnings.simplefilter("ignore")
    scores: dict[tuple, list[dict]] = defaultdict(list)  # (profile, setting) -> per-run deltas
    for net in args.networks.split(","):
        full, T = _resolve(net, from_network=net not in REAL_ROWS)
        for n in ([None] if net in REAL_ROWS else [int(r) for r in args.rows.split(",")]):
            for seed in range(args.seeds):
                ds = _subsample(full, None, seed) if n is None else full.with_frame(
                    network_sample(net, n, seed, full.columns))
                pc = PCDiscovery().fit(ds)
                base = compare(merging.merge(pc, {}, "report").graph, T)
                pc_m = compare(pc.graph_, T)
                for profile in args.profiles.split(","):
                    with open_llm(LLMConfig(backend="simulated", profile=profile), environ={}, truth=T, seed=seed,
                                  quiet=True) as (chat, _):
                        # every pair when guided is scored (it reads them all); the others look only at PC's pairs
                        strategy = "all" if "guided" in args.policies else "skeleton"
                        pairs = LLMPriors(chat, strategy=strategy, confounders="none", seed=seed,
                                          simulated=profile).fit(ds, pc).pairs_
                    runs = [(name, "auto", SETTINGS[name]) for name in args.settings.split(";") if name]
                    runs += [(p, p, {}) for p in args.policies.split(",") if p]
                    for name, policy, patch in runs:
                        old = {k: getattr(merging, k) for k in patch}
                        for k, v in patch.items():
                            setattr(merging, k, v)
                        try:
                            m = compare(merging.merge(pc, pairs, policy).graph, T)
                        finally:
                            for k, v in old.items():
                                setattr(merging, k, v)
                        scores[(profile, name)].append({
                            "net": f"{net}/{n or 'all'}", "f1": m["orientation_f1"] - pc_m["orientation_f1"],
                            "dir": m["dir_f1"] - pc_m["dir_f1"], "shd": m["shd"] / max(pc_m["shd"], 1) - 1,
                            "vs_data": m["orientation_f1"] - base["orientation_f1"]})
                print(f"done {net} rows={n or 'all'} seed={seed}", flush=True)
    print("\n| profile | setting | ΔF1 vs PC (mean) | worst network ΔF1 | ΔdirF1 | SHD vs PC | ΔF1 vs data side |")
    print("|---|---|---|---|---|---|---|")
    for (profile, name), rs in scores.items():
        per_net: dict[str, list[float]] = defaultdict(list)
        for r in rs:
            per_net[r["net"]].append(r["f1"])
        worst = min(statistics.fmean(v) for v in per_net.values())
        print(f"| {profile} | {name} | {statistics.fmean(r['f1'] for r in rs):+.3f} | {worst:+.3f} | "
              f"{statistics.fmean(r['dir'] for r in rs):+.3f} | {statistics.fmean(r['shd'] for r in rs):+.1%} | "
              f"{statistics.fmean(r['vs_data'] for r in rs):+.3f} |")


if __name__ == "__main__":
    main()
