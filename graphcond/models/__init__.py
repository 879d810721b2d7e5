"""GNN models used as relay, expert and evaluation models.

Example:
    >>> from graphcond.models import model_names
    >>> "gcn" in model_names()
    True
"""
from .adjacency import graph_operator, normalize_dense, propagate
from .homogeneous import MODELS, build_model, functional_forward


def model_names() -> list[str]:
    """Names accepted by :func:`build_model`."""
    return list(MODELS)


__all__ = ["MODELS", "build_model", "functional_forward", "graph_operator", "model_names", "normalize_dense", "propagate"]
