"""The whole run against the reference's search alone: ``causalllm discover FILE --llm none`` (the CLI end to
end: imports, loading, PC, the data side's re-check, the picture, the report, the manifest) against
causal-learn's ``pc()`` alone on the same data (its time measured inside its process, around the call).

Cases: Alarm, Hailfinder and Win95pts (bnlearn, 10 000 rows sampled with pgmpy, G²) and a random 100-variable
linear-Gaussian DAG (10 000 rows, Fisher-z). Each repeat runs both jobs one after the other (interleaved),
each in its own process; the table gives medians, the ratio whole run / ``pc()``, and the last run's
stage timings from its manifest. A ``pc()`` past ``--limit`` seconds is stopped and reported as "> limit"
(causal-learn runs for tens of minutes on Hailfinder). The "imports s" column is the floor no whole run goes
below: a fresh interpreter importing pandas, numpy, scipy.special, networkx and click (the libraries every run
needs), timed outside it in the same interleaved repeats. Writes ``benchmarks/results/wholerun.json``.

    python benchmarks/bench_wholerun.py [--cases alarm,hailfinder,win95pts,gauss100] [--repeats 3] [--limit 600]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

import numpy as np
import pandas as pd

CASES = ("alarm", "hailfinder", "win95pts", "gauss100")

_PC_ALONE = """
import sys, time, warnings
import numpy as np, pandas as pd
from causallearn.search.ConstraintBased.PC import pc
df = pd.read_csv(sys.argv[1])
test = sys.argv[2]
X = (df.to_numpy(float) if test == "fisherz" else
     np.column_stack([pd.Categorical(df[c].astype(str)).codes for c in df.columns]).astype(float))
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    t = time.perf_counter()
    pc(X, 0.05, test, True, 0, 2, show_progress=False)
print(time.perf_counter() - t)
"""


def make_case(name: str, folder: Path) -> tuple[Path, str]:
    """The case's CSV (written once) and its test."""
    path = folder / f"{name}.csv"
    if name == "gauss100":
        rng = np.random.default_rng(0)
        p, n = 100, 10_000
        W = np.triu(rng.uniform(0.3, 1.0, (p, p)) * rng.choice([-1, 1], (p, p)) * (rng.random((p, p)) < 3 / p), 1)
        X = np.zeros((n, p))
        for j in range(p):
            X[:, j] = X @ W[:, j] + rng.normal(size=n)
        pd.DataFrame(X, columns=[f"X{j}" for j in range(p)]).to_csv(path, index=False)
        return path, "fisherz"
    from causalllm.bench.networks import network_sample, network_truth

    network_sample(name, 10_000, 0, sorted(network_truth(name).nodes)).to_csv(path, index=False)
    return path, "gsq"


def whole(path: Path, out: Path) -> tuple[float, dict]:
    exe = Path(sys.executable).with_name("causalllm")
    t = time.perf_counter()
    subprocess.run([str(exe), "discover", str(path), "--llm", "none", "--out", str(out), "--quiet"],
                   check=True, capture_output=True)
    wall = time.perf_counter() - t
    return wall, json.loads((out / "manifest.json").read_text())["timings_s"]


def alone(path: Path, test: str, limit: float) -> float | None:
    try:
        res = subprocess.run([sys.executable, "-c", _PC_ALONE, str(path), test], check=True, capture_output=True,
                             text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        return None
    return float(res.stdout.strip().splitlines()[-1])


def imports() -> float:
    """Wall time of a fresh interpreter importing what every run needs."""
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import pandas, numpy, scipy.special, networkx, click"], check=True)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--limit", type=float, default=600.0)
    a = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"{'case':<11}{'whole run s':>12}{'pc() s':>10}{'ratio':>8}{'imports s':>11}   "
              "stages of the last whole run (s)")
        for name in a.cases.split(","):
            path, test = make_case(name, folder)
            walls, refs, floors, stages = [], [], [], {}
            for r in range(a.repeats):
                w, stages = whole(path, folder / f"{name}-out{r}")
                walls.append(w)
                floors.append(imports())
                # past the limit once, the reference is not run again: every repeat would hit it
                ref = alone(path, test, a.limit) if r == 0 or refs[-1] is not None else None
                refs.append(ref)
            w = median(walls)
            done = [x for x in refs if x is not None]
            ref_s = median(done) if done else None
            ratio = f"{w / ref_s:.2f}" if ref_s else f"< {w / a.limit:.3f}"
            ref_txt = f"{ref_s:.1f}" if ref_s else f"> {a.limit:g}"
            print(f"{name:<11}{w:>12.1f}{ref_txt:>10}{ratio:>8}{median(floors):>11.2f}   "
                  + ", ".join(f"{k} {v:.2f}" for k, v in stages.items()))
            results.append({"case": name, "test": test, "rows": 10_000, "repeats": a.repeats, "whole_run_s": walls,
                            "pc_alone_s": refs, "imports_s": floors, "limit_s": a.limit, "ratio": ratio,
                            "last_stages_s": stages})
    out = Path(__file__).parent / "results" / "wholerun.json"
    out.write_text(json.dumps(results, indent=1))
    print(f"written: {out}")


if __name__ == "__main__":
    main()
