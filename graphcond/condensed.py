"""The condensed graph as a result object, saved as one file plus readable metadata.

A :class:`Condensed` holds a PyG graph (``Data`` or ``HeteroData``) and ``meta``:
method, config, dataset name and options, the hash of the dataset's raw files,
seed, ratio/rate and node counts, library version and timings. ``storage_bytes`` is what
the graph's tensors take in memory (``meta["storage_mb"]``; the FreeHGC paper's Table VII
compares storage without saying how it was counted). ``save`` writes
``PATH`` (torch, tensors only, safe to load with ``weights_only``) with the metadata
inside, and ``PATH.json`` beside it for people; ``load_condensed(PATH, dataset)``
refuses a file made from another dataset.

Example:
    >>> import torch, tempfile, os
    >>> from torch_geometric.data import Data
    >>> c = Condensed(Data(x=torch.ones(2, 3), y=torch.tensor([0, 1])), {"dataset": "toy"})
    >>> path = os.path.join(tempfile.mkdtemp(), "toy.pt")
    >>> _ = c.save(path)
    >>> load_condensed(path).graph.x.shape
    torch.Size([2, 3])
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch_geometric.data import Data, HeteroData

from . import __version__

FORMAT = "graphcond.condensed/1"


def storage_bytes(graph: Data | HeteroData) -> int:
    """Bytes of every tensor the graph holds (features, edge indices, labels, masks and
    bookkeeping such as ``source_nodes``), each tensor counted once.

    >>> g = Data(x=torch.ones(2, 3), edge_index=torch.tensor([[0, 1], [1, 0]]))
    >>> storage_bytes(g)  # 6 float32 + 4 int64
    56
    """
    seen, total = set(), 0
    for store in graph.stores:
        for value in store.values():
            if isinstance(value, torch.Tensor) and value.data_ptr() not in seen:
                seen.add(value.data_ptr())
                total += value.nbytes
    return total


class DatasetMismatchError(ValueError):
    """A condensed file was loaded against a dataset it was not made from."""


@dataclass
class Condensed:
    """A condensed graph and its metadata."""

    graph: Data | HeteroData
    meta: dict = field(default_factory=dict)

    @property
    def hetero(self) -> bool:
        return isinstance(self.graph, HeteroData)

    def save(self, path: str | os.PathLike) -> Path:
        """Write ``path`` and ``path.json`` atomically; return ``path``."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {**self.meta, "format": FORMAT, "version": __version__, "hetero": self.hetero}
        blob = {"graph": self.graph.to_dict(), "meta": json.dumps(meta)}
        tmp = path.with_name(path.name + ".tmp")
        torch.save(blob, tmp)
        os.replace(tmp, path)
        side = path.with_name(path.name + ".json")
        side.with_name(side.name + ".tmp").write_text(json.dumps(meta, indent=2, default=str))
        os.replace(side.with_name(side.name + ".tmp"), side)
        return path

    def check_dataset(self, data) -> None:
        """Raise :class:`DatasetMismatchError` unless ``data`` is the source dataset."""
        want = (self.meta.get("dataset"), self.meta.get("source_hash"))
        got = (getattr(data, "name", None), getattr(data, "source_hash", None))
        if want != got:
            raise DatasetMismatchError(
                f"condensed graph was made from dataset {want[0]!r} (source {want[1]}), "
                f"not {got[0]!r} (source {got[1]}); load the matching dataset"
            )
        opts = self.meta.get("dataset_options", {})
        if opts and opts != getattr(data, "dataset_options", {}):
            raise DatasetMismatchError(
                f"condensed graph was made with dataset options {opts}, "
                f"not {getattr(data, 'dataset_options', {})}"
            )


def load_condensed(path: str | os.PathLike, dataset=None) -> Condensed:
    """Read a file written by :meth:`Condensed.save`; check it against ``dataset``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no condensed graph at {path}")
    try:
        blob = torch.load(path, weights_only=True)
        meta = json.loads(blob["meta"])
    except Exception as exc:
        raise ValueError(f"{path} is not a graphcond condensed-graph file ({exc})") from exc
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path} has format {meta.get('format')!r}, expected {FORMAT!r}")
    cls = HeteroData if meta["hetero"] else Data
    out = Condensed(cls.from_dict(blob["graph"]), meta)
    if dataset is not None:
        out.check_dataset(dataset)
    return out
