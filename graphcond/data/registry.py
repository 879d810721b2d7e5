"""One registry of dataset names, and ``load_dataset``.

Every loader returns a PyG ``Data`` (homogeneous) or ``HeteroData`` (heterogeneous)
carrying graph-level metadata: ``name``, ``num_classes``, ``multilabel``,
``source_hash`` (of the raw files read) and, for heterogeneous graphs, ``target``
(the node type whose labels are predicted). Splits are boolean masks
``train_mask`` / ``val_mask`` / ``test_mask`` on the (target) nodes.

Example:
    >>> from graphcond.data import load_dataset
    >>> cora = load_dataset("cora")                     # doctest: +SKIP
    >>> cora.num_nodes, cora.num_classes                # doctest: +SKIP
    (2708, 7)
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from torch_geometric.data import Data, HeteroData

from .paths import files_hash, resolve_data_dir

Graph = Data | HeteroData


@dataclass(frozen=True)
class DatasetSpec:
    """How to find and read one dataset.

    ``loader(folder, can_download, **options) -> (graph, source_files)`` reads the
    raw files under ``folder`` (downloading them first when ``can_download``).
    ``expected`` tells a user which files to put where, relative to the data folder.
    """

    name: str
    kind: str  # "homogeneous" | "heterogeneous"
    loader: Callable[..., tuple[Graph, list[Path]]]
    expected: str
    source: str
    options: dict[str, Any] = field(default_factory=dict)

    def expected_files(self) -> list[str]:
        """The relative paths named by ``expected`` (first alternative, braces expanded)."""
        out = []
        for pattern in self.expected.split(" (or")[0].split(", "):
            head, _, rest = pattern.partition("{")
            parts = rest.rstrip("}").split(",") if rest else [""]
            out += [head + p for p in parts]
        return out

    def available(self, folder: Path) -> bool:
        """Whether every expected file is under ``folder``."""
        return all((folder / f).is_file() for f in self.expected_files())

    def option_defaults(self) -> dict[str, Any]:
        """The loader's options with their defaults (then ``options`` of the spec)."""
        sig = inspect.signature(self.loader)
        skip = ("folder", "can_download")
        return {n: p.default for n, p in sig.parameters.items() if n not in skip} | self.options

    def option_names(self) -> list[str]:
        return list(self.option_defaults())


_REGISTRY: dict[str, DatasetSpec] = {}
_MEMO: dict[tuple, Graph] = {}


def register_dataset(spec: DatasetSpec) -> DatasetSpec:
    """Add ``spec`` to the registry under ``spec.name``."""
    _REGISTRY[spec.name] = spec
    return spec


def dataset_names(kind: str | None = None) -> list[str]:
    """Registered dataset names, optionally only ``homogeneous``/``heterogeneous``."""
    return [n for n, s in _REGISTRY.items() if kind is None or s.kind == kind]


def get_spec(name: str) -> DatasetSpec:
    """The spec for ``name``; an unknown name lists the known ones."""
    key = name.lower()
    if key not in _REGISTRY:
        raise KeyError(f"unknown dataset {name!r}; known: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[key]


def load_dataset(name: str, data_dir: str | Path | None = None, **options) -> Graph:
    """Load a registered dataset as a PyG graph with splits and metadata.

    ``data_dir`` (or ``GRAPHCOND_DATA``) names the folder holding the raw files;
    without either, files are downloaded into the user cache when possible.
    Options (e.g. ``split_seed`` for HGB) are passed to the dataset's loader.
    """
    spec = get_spec(name)
    unknown = set(options) - set(spec.option_names())
    if unknown:
        raise ValueError(
            f"dataset {spec.name!r} takes options {spec.option_names()}, not {sorted(unknown)}"
        )
    opts = spec.option_defaults() | options  # resolved, so results record every option
    folder, user_given = resolve_data_dir(data_dir)
    key = (spec.name, str(folder), tuple(sorted(opts.items())))
    if key not in _MEMO:
        graph, sources = spec.loader(folder, not user_given, **opts)
        graph.name = spec.name
        graph.source_hash = files_hash(sources) if sources else "generated"
        graph.dataset_options = dict(opts)
        _MEMO[key] = graph
    return _MEMO[key].clone()


def is_hetero(graph: Graph) -> bool:
    """True for a heterogeneous graph."""
    return isinstance(graph, HeteroData)


def target_store(graph: Graph):
    """The node store holding labels and masks (the target type for HeteroData)."""
    return graph[graph.target] if is_hetero(graph) else graph
