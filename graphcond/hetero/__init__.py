"""Heterogeneous graphs: meta-paths, the evaluators (SeHGNN, HAN, HGT, Simple-HGN),
FreeHGC, HG coresets, Coarsening-HG and HGCond.

Importing this package registers the heterogeneous evaluators (``evaluate(...,
model="sehgnn" | "han" | "hgt" | "simple-hgn")``) and the methods ``freehgc``,
``random-hg``, ``herding-hg``, ``kcenter-hg``, ``coarsening-hg`` and ``hgcond``.
"""
from . import coarsening, coresets, evaluators, freehgc, hgcond, metapaths  # noqa: F401  (register methods and evaluators)
from .metapaths import HOPS, SEHGNN_HOPS, MetaPathAdjacency, enumerate_metapaths, path_name

__all__ = ["HOPS", "SEHGNN_HOPS", "MetaPathAdjacency", "enumerate_metapaths", "path_name"]
