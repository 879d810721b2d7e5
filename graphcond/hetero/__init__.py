"""Heterogeneous graphs: meta-paths, the SeHGNN evaluator, FreeHGC and HG coresets.

Importing this package registers the ``sehgnn`` evaluator for heterogeneous graphs
and the methods ``freehgc``, ``random-hg``, ``herding-hg`` and ``kcenter-hg``.
"""
from . import coresets, freehgc, metapaths, sehgnn  # noqa: F401  (register methods and the evaluator)
from .metapaths import HOPS, SEHGNN_HOPS, MetaPathAdjacency, enumerate_metapaths, path_name

__all__ = ["HOPS", "SEHGNN_HOPS", "MetaPathAdjacency", "enumerate_metapaths", "path_name"]
