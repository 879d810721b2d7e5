"""Condensation methods, each registered by name.

Example:
    >>> from graphcond.methods import method_names
    >>> {"geom", "gcond", "kcenter"} <= set(method_names("homogeneous"))
    True
"""
from . import coreset  # noqa: F401  (registers random, herding, kcenter, whole)
from . import gradient  # noqa: F401  (registers gcond, gcondx, dcgraph)
from . import trajectory  # noqa: F401  (registers sfgc, geom)
from .base import Method, get_method, method_names, register_method

__all__ = ["Method", "get_method", "method_names", "register_method"]
from .. import hetero  # noqa: F401,E402  (registers freehgc, random-hg and the sehgnn evaluator)
