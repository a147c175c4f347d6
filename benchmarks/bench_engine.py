"""PC speed: causal-learn's ``pc`` vs causalllm's native engine (and andrey-core when installed), side by side.

Same data, same machine, same run; the calls are interleaved and repeated, and the median is
reported with the ratio and whether the outputs are identical (the endpoint matrix, i.e.
skeleton and orientations). Cases: linear-Gaussian random DAGs (expected degree 3) at 10 000
rows, Fisher-z; discrete networks sampled from pgmpy's bundled bnlearn models, G²; conditional-Gaussian
networks (``benchmarks/bench_mixed.py``'s, half the columns discrete) with the cg test, which causal-learn
does not have: there the native engine is compared with andrey-core's ``cond_gauss`` alone.

    python benchmarks/bench_engine.py [--gaussian 20,50,100,200,400] [--discrete alarm,hepar2]
                                    [--mixed 20,50] [--rows 10000] [--repeats 3] [--reference-max 200]

causal-learn is not run above ``--reference-max`` Gaussian variables (hours); andrey-core
(``pip install andrey-core``, a benchmark-only extra) runs with its defaults, whose orientation
rule differs from causal-learn's, so only its speed and skeleton are compared.
"""

from __future__ import annotations

import argparse
import gzip
import logging
import statistics
import time
import warnings
from importlib import resources

import numpy as np
from causallearn.search.ConstraintBased.PC import pc

from causalllm.discovery.citests import ConditionalGaussian, DiscreteTest, FisherZ
from causalllm.discovery.search import pc_stable


def gaussian(p: int, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    order = rng.permutation(p)
    W = np.zeros((p, p))
    for a in range(p):
        for b in range(a + 1, p):
            if rng.random() < 3.0 / (p - 1):
                W[order[a], order[b]] = rng.uniform(0.3, 1.0) * rng.choice([-1, 1])
    X = np.zeros((n, p))
    for j in order:
        X[:, j] = X @ W[:, j] + rng.normal(size=n)
    return X


def network(name: str, n: int, seed: int) -> np.ndarray:
    from pgmpy.readwrite import BIFReader

    path = resources.files("pgmpy") / "utils" / "example_models" / f"{name}.bif.gz"
    with gzip.open(str(path)) as f, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = BIFReader(string=f.read().decode()).get_model()
        logging.getLogger("pgmpy").setLevel(logging.ERROR)
        df = model.simulate(n_samples=n, seed=seed, show_progress=False)
    return np.column_stack([np.unique(df[c].astype(str), return_inverse=True)[1] for c in df.columns]).astype(float)


def run_causallearn(X: np.ndarray, test: str) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(pc(X, 0.05, test, True, 0, 2, show_progress=False).G.graph)


def mixed(p: int, n: int, seed: int) -> tuple[np.ndarray, list[int]]:
    """A conditional-Gaussian network's rows (categories as codes) and its discrete columns."""
    from bench_mixed import cg_network
    from pandas.api.types import is_float_dtype

    frame, _ = cg_network(p, n, seed)
    cat = [j for j, c in enumerate(frame.columns) if not is_float_dtype(frame[c])]
    X = np.column_stack([np.unique(frame[c].astype(str), return_inverse=True)[1] if j in cat else frame[c]
                         for j, c in enumerate(frame.columns)]).astype(float)
    return X, cat


def run_native(X: np.ndarray, test: str, cat: list[int] | None = None) -> np.ndarray:
    if test == "cg":
        return pc_stable(ConditionalGaussian(X, np.isin(np.arange(X.shape[1]), cat or [])), 0.05).graph
    if test == "fisherz":
        T = FisherZ(np.corrcoef(X.T), X.shape[0])
    else:
        codes = np.column_stack([np.unique(X[:, j], return_inverse=True)[1] for j in range(X.shape[1])])
        T = DiscreteTest(codes, gsq=test == "gsq")
    return pc_stable(T, 0.05).graph


def run_andrey(X: np.ndarray, test: str, cat: list[int] | None = None) -> np.ndarray | None:
    try:
        import andrey
    except ImportError:
        return None
    if test == "cg":
        g = andrey.pc(X, alpha=0.05, indep_test="cond_gauss", categorical=cat)
    else:
        g = andrey.pc(X, alpha=0.05, indep_test="fisherz" if test == "fisherz" else "gsq")
    return np.asarray(g.structure.adjacency) != 0


def timed(fn, *args):  # type: ignore[no-untyped-def]
    t0 = time.process_time()
    out = fn(*args)
    return time.process_time() - t0, out


def bench(label: str, X: np.ndarray, test: str, repeats: int, reference: bool, cat: list[int] | None = None
          ) -> None:
    run_native(X[:200], test, cat)  # load the compiled kernel and warm BLAS outside the timings
    times: dict[str, list[float]] = {"causal-learn": [], "native": [], "andrey": []}
    outs: dict[str, np.ndarray | None] = {}
    for _ in range(repeats):  # interleaved
        if reference:
            t, outs["causal-learn"] = timed(run_causallearn, X, test)
            times["causal-learn"].append(t)
        t, outs["native"] = timed(run_native, X, test, cat)
        times["native"].append(t)
        t, a = timed(run_andrey, X, test, cat)
        if a is not None:
            outs["andrey"] = a
            times["andrey"].append(t)
    med = {k: statistics.median(v) for k, v in times.items() if v}
    same = "identical" if reference and np.array_equal(outs["causal-learn"], outs["native"]) else (
        "DIFFERENT" if reference else "not compared")
    ratio = f"{med['causal-learn'] / med['native']:8.1f}x" if reference else "       -"
    andrey = ""
    if "andrey" in med:
        skel = "same skeleton" if np.array_equal(outs["andrey"], outs["native"] != 0) else "other skeleton"
        andrey = f" | andrey-core {med['andrey']:8.3f} s ({med['andrey'] / med['native']:5.1f}x native's time, {skel})"
    cl = f"{med['causal-learn']:9.3f} s" if reference else "  not run"
    print(f"{label:<26} {test:<7} causal-learn {cl} | native {med['native']:7.3f} s | {ratio} | {same}{andrey}",
          flush=True)


def main() -> None:
    try:  # one BLAS thread for every contender: idle BLAS threads spinning after a call count as CPU time
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:
        pass
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gaussian", default="20,50,100,200,400")
    ap.add_argument("--discrete", default="alarm,hepar2")
    ap.add_argument("--mixed", default="20,50")
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--reference-max", type=int, default=200)
    args = ap.parse_args()
    print(f"CPU seconds (one BLAS thread), median of {args.repeats} interleaved runs, {args.rows} rows, alpha 0.05")
    for p in (int(v) for v in args.gaussian.split(",") if v):
        bench(f"gaussian {p} vars", gaussian(p, args.rows, p), "fisherz", args.repeats, p <= args.reference_max)
    for name in (v for v in args.discrete.split(",") if v):
        X = network(name, args.rows, 0)
        bench(f"{name} ({X.shape[1]} vars)", X, "gsq", args.repeats, True)
    for p in (int(v) for v in args.mixed.split(",") if v):
        X, cat = mixed(p, args.rows, p)
        bench(f"mixed {p} vars ({len(cat)} discrete)", X, "cg", args.repeats, False, cat)
    # once the statistics exist, PC's time does not depend on the rows
    for n in (10_000, 100_000, 300_000):
        X = gaussian(50, n, 50)
        t0 = time.process_time()
        corr = np.corrcoef(X.T)
        t1 = time.process_time()
        pc_stable(FisherZ(corr, n), 0.05)
        t2 = time.process_time()
        print(f"gaussian 50 vars, {n:>7} rows: statistics {t1 - t0:6.3f} s, PC on them {t2 - t1:6.3f} s", flush=True)


if __name__ == "__main__":
    main()
