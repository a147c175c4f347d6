"""Pairwise direction accuracy on the Tübingen cause-effect pairs (``causalllm evaluate --pairs tuebingen``).

Weighted by the dataset's weights (the benchmark on which GPT-4 reached 0.96–0.97, Kıcıman et
al. 2023): accuracy, share of "unsure" and "none" answers, and order consistency. Each pair is
its own two-variable dataset, asked through :mod:`causalllm.pipeline` like any run.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd

from ..config import RunConfig
from ..data import bundled
from ..data.dataset import Dataset
from ..errors import ConfigError
from ..pipeline import make_asker, open_expert
from .registry import PAIR_BENCHMARKS

__all__ = ["evaluate_pairs"]


def _tuebingen_pairs() -> list[dict]:
    folder = bundled.get("tuebingen").folder
    with open(folder / "pairs_meta.csv", encoding="utf-8") as f:
        meta = {r["pair_id"]: r for r in csv.DictReader(f)}
    with open(folder / "variables.csv", encoding="utf-8") as f:
        var: dict[str, dict[str, dict]] = {}
        for r in csv.DictReader(f):
            var.setdefault(r["pair_id"], {})[r["name"]] = r
    out = []
    for pid, m in meta.items():
        if m["multivariate"] == "True" or float(m["weight"]) <= 0:
            continue
        x, y = var[pid]["x"], var[pid]["y"]
        xn, yn = x["short_name"].strip() or "x", y["short_name"].strip() or "y"
        if xn == yn:  # e.g. pairs 89-90 name both sides alike; the descriptions tell them apart
            xn, yn = f"{xn} (variable 1)", f"{yn} (variable 2)"
        out.append({"pair_id": pid, "x": xn, "y": yn,
                    "x_desc": x["description"], "y_desc": y["description"], "direction": m["direction"],
                    "weight": float(m["weight"]), "dataset": m["dataset"]})
    return out


def _truth_of(pairs: list[dict]) -> nx.DiGraph:
    """One truth graph over the names used in prompts (names alike across pairs get the pair's id)."""
    T = nx.DiGraph()
    for p in pairs:
        a, b = (p["x"], p["y"]) if p["direction"] == "x->y" else (p["y"], p["x"])
        if T.has_edge(b, a) or a == b:
            p["x"], p["y"] = f"{p['x']} ({p['pair_id']})", f"{p['y']} ({p['pair_id']})"
            a, b = (p["x"], p["y"]) if p["direction"] == "x->y" else (p["y"], p["x"])
        T.add_edge(a, b)
    return T


def _ask_pairs(pairs: list[dict], truth_file: Path, cfg: RunConfig) -> tuple[list[dict], dict[str, int]]:
    """Every pair asked (both orders), through the run's expert, asker and cache."""
    from concurrent.futures import ThreadPoolExecutor

    with open_expert(cfg, truth=str(truth_file)) as (chat, info):
        assert chat is not None
        pair_cfg = cfg.replace(confounders="none", concurrency=2)

        def one(p: dict) -> tuple[dict, dict]:
            # each pair is its own two-variable dataset: names repeat across pairs with other meanings
            frame = pd.DataFrame(columns=[p["x"], p["y"]])
            ds = Dataset(frame=frame, types={p["x"]: "continuous", p["y"]: "continuous"},
                         descriptions={p["x"]: p["x_desc"], p["y"]: p["y_desc"]}, name=p["pair_id"])
            asker = make_asker(chat, info, pair_cfg, pairs=[(p["x"], p["y"])]).fit(ds)
            ans = next(iter(asker.pairs_.values()))
            want = "-->" if p["direction"] == "x->y" else "<--"
            return ({**p, "answer": ans.answer, "confidence": ans.confidence,
                     "order_consistent": ans.order_consistent, "correct": ans.answer == want}, asker.stats_)

        # both orders of a pair go out together, so concurrency / 2 pairs at a time
        with ThreadPoolExecutor(max_workers=max(1, cfg.llm.concurrency // 2)) as pool:
            done = list(pool.map(one, pairs))
    stats = {"calls": sum(s["calls"] for _, s in done), "cache_hits": sum(s["cache_hits"] for _, s in done),
             "tokens": sum(s["prompt_tokens"] + s["completion_tokens"] for _, s in done)}
    return [r for r, _ in done], stats


def evaluate_pairs(name: str = "tuebingen", *, llm: str = "simulated", profile: str = "gpt4",
                   config: RunConfig | None = None) -> dict:
    """Weighted pairwise direction accuracy on the Tübingen pairs (univariate pairs, weights > 0).

    ``config`` holds the LLM's settings (endpoint, cache, concurrency) and the seed."""
    if name not in PAIR_BENCHMARKS:
        raise ConfigError(f"unknown pairs benchmark {name!r}; available: tuebingen")
    pairs = _tuebingen_pairs()
    T = _truth_of(pairs)
    cfg = (config or RunConfig()).replace(llm=llm, profile=profile, quiet=True)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        truth_file = Path(tmp) / "truth.csv"
        pd.DataFrame(list(T.edges), columns=["source", "target"]).to_csv(truth_file, index=False)
        t0 = time.perf_counter()
        results, stats = _ask_pairs(pairs, truth_file, cfg)
    W = sum(r["weight"] for r in results)

    def wmean(f: Any) -> float:
        return sum(r["weight"] for r in results if f(r)) / W

    return {
        "benchmark": "tuebingen", "expert": profile if llm == "simulated" else (cfg.llm.model or "openai"),
        "simulated": llm == "simulated", "pairs": len(results), "total_weight": round(W, 4),
        "accuracy": round(wmean(lambda r: r["correct"]), 4),
        "share_unsure": round(wmean(lambda r: r["answer"] == "unsure"), 4),
        "share_none": round(wmean(lambda r: r["answer"] == "none"), 4),
        "order_consistency": round(wmean(lambda r: r["order_consistent"] is True), 4),
        "unweighted_accuracy": round(sum(r["correct"] for r in results) / len(results), 4),
        **stats, "wall_s": round(time.perf_counter() - t0, 3), "results": results,
        "note": "univariate pairs with weight > 0 (multivariate pairs 52-55, 71, 105 left out)",
    }
