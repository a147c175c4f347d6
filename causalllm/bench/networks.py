"""Benchmark networks with a known truth: the bnlearn networks pgmpy bundles, sampled offline.

Needs the optional extra ``pip install 'causalllm[bn]'`` (pgmpy >= 1.1, < 1.3: later versions
fetch their example networks from a model hub instead of the bundled files).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import networkx as nx
import pandas as pd

from ..errors import ConfigError, DataError

__all__ = ["network_kind", "network_sample", "network_truth"]

_NETWORKS: dict[str, Any] = {}


def network_sample(name: str, n: int, seed: int, columns: Sequence[str]) -> pd.DataFrame:
    """``n`` fresh rows sampled from the bnlearn network ``name`` as bundled in pgmpy (offline).

    Needs the optional extra ``pip install 'causalllm[bn]'`` (pgmpy >= 1.1, < 1.3: later versions
    fetch their example networks from a model hub instead of the bundled files).
    """
    import warnings

    model = _network(name)
    missing = [c for c in columns if c not in model.nodes()]
    if missing:
        raise DataError(f"pgmpy's {name} network lacks column(s) {', '.join(missing)}")
    logger = logging.getLogger("pgmpy")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gaussian = getattr(model, "_causalllm_gaussian", False)
            df = (model.simulate(n_samples=n, seed=seed) if gaussian else
                  model.simulate(n_samples=n, seed=seed, show_progress=False))
    finally:
        logger.setLevel(level)
    df = df[list(columns)]
    return df.astype(str) if network_kind(name) == "discrete" else df.astype(float)


def network_kind(name: str) -> str:
    """``discrete`` for the bnlearn BIF networks, ``continuous`` for the linear-Gaussian ones (ecoli70,
    magic-niab, magic-irri, arth150, bundled as JSON)."""
    _network(name)
    return "continuous" if getattr(_NETWORKS[name], "_causalllm_gaussian", False) else "discrete"


def _network(name: str) -> Any:
    """pgmpy's bundled network ``name``, read once."""
    import gzip
    import warnings
    from importlib import resources

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from pgmpy.readwrite import BIFReader
    except ImportError:
        raise ConfigError("--from-network needs pgmpy: pip install 'causalllm[bn]'") from None
    if name not in _NETWORKS:
        folder = resources.files("pgmpy") / "utils" / "example_models"
        path, gaussian = folder / f"{name}.bif.gz", folder / f"{name}.json"
        if path.is_file():
            with gzip.open(str(path)) as f, warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _NETWORKS[name] = BIFReader(string=f.read().decode()).get_model()
        elif gaussian.is_file():
            from pgmpy.models import LinearGaussianBayesianNetwork

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = LinearGaussianBayesianNetwork.load(str(gaussian))
            model._causalllm_gaussian = True
            _NETWORKS[name] = model
        else:
            raise DataError(f"pgmpy bundles no network named {name!r}; --from-network works for the bnlearn "
                            "networks pgmpy ships (asia, cancer, earthquake, survey, child, alarm, insurance, water, "
                            "hepar2, win95pts, ...; Gaussian: ecoli70, magic-niab, magic-irri, arth150)")
    return _NETWORKS[name]


def network_truth(name: str) -> nx.DiGraph:
    """The graph of pgmpy's bundled network ``name`` (every edge ``-->``)."""
    _network(name)
    T = nx.DiGraph()
    T.add_nodes_from(sorted(_NETWORKS[name].nodes()))
    T.add_edges_from(_NETWORKS[name].edges(), mark="-->")
    return T


