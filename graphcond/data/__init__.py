"""Datasets as PyG graphs with splits; one registry of names.

Example:
    >>> from graphcond.data import dataset_names
    >>> "cora" in dataset_names()
    True
"""
from . import aminer, hgb, large, planetoid, rdf  # noqa: F401  (register the loaders)
from . import multimodal, two_view  # noqa: F401  (mm-csbm, MM-Graph, dblp-2view)
from .paths import CorruptDataError, DataNotFoundError
from .registry import (
    DatasetSpec,
    dataset_names,
    get_spec,
    is_hetero,
    load_dataset,
    register_dataset,
    target_store,
)

__all__ = [
    "CorruptDataError",
    "DataNotFoundError",
    "DatasetSpec",
    "dataset_names",
    "get_spec",
    "is_hetero",
    "load_dataset",
    "register_dataset",
    "target_store",
]
