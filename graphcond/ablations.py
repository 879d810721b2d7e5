"""The papers' ablations: each method's components removed in turn, as method settings.

``ABLATIONS[method]`` maps a variant name to the settings that turn it into that
variant (``{}`` is the full method). :func:`run_ablation` condenses every variant for
the given seeds and evaluates it with the one protocol.

Example:
    >>> from graphcond.ablations import ABLATIONS
    >>> ABLATIONS["srgm"]["damping only"]
    {'decouple': False}
"""
from __future__ import annotations

import pandas as pd

from .api import condense
from .evaluate import evaluate
from .results import summaries

ABLATIONS: dict[str, dict[str, dict]] = {
    "geom": {
        "GEOM (full)": {},
        "no curriculum": {"curriculum": False},
        "fixed window": {"expanding": False},
        "no KEE": {"kee": False},
        "hard labels": {"soft_labels": False},
    },
    "freehgc": {
        "FreeHGC (full)": {},
        "receptive field only": {"target_score": "rf"},
        "Jaccard only": {"target_score": "jaccard"},
        "PPR for every type": {"other_types": "ppr"},
        "Herding for father/leaf types": {"other_types": "herding"},
    },
    "srgm": {
        "SR-GM (both)": {},
        "decoupling only": {"damping": False},
        "damping only": {"decouple": False},
        "neither": {"decouple": False, "damping": False},
    },
}


def run_ablation(data, method: str, rate: float, seeds=(0,), runs: int = 5, quick: bool = False,
                 device: str = "auto", variants: list[str] | None = None, settings: dict | None = None,
                 **train) -> pd.DataFrame:
    """One summary row per variant of ``method`` (column ``variant``), each over
    ``len(seeds)`` condensations x ``runs`` evaluation runs; ``settings`` apply to every
    variant, ``train`` goes to :func:`~graphcond.evaluate.evaluate`."""
    table = ABLATIONS[method]
    names = variants or list(table)
    unknown = set(names) - set(table)
    if unknown:
        raise KeyError(f"unknown {method} variant(s) {sorted(unknown)}; known: {list(table)}")
    evals = []
    for name in names:
        graphs = [condense(data, method, rate=rate, seed=s, quick=quick, device=device, **(settings or {}), **table[name])
                  for s in seeds]
        evals.append(evaluate(graphs, data, runs=runs, device=device, **train))
    return summaries(evals).assign(variant=names)
