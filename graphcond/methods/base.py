"""The method registry, configs with presets kept as data, and ``condense``.

A method is a class with a small config dataclass (``Config``) whose defaults are the
authors' settings; per-dataset (and per-rate) presets live in
``graphcond/presets/<method>.json``::

    {"cora": {"lr_feat": 1e-4, "by_rate": {"0.5": {"iterations": 200}}},
     "quick": {"iterations": 20}}

Resolution order: ``Config()`` defaults < dataset preset < rate preset < ``quick``
preset (if asked) < explicit overrides.

Example:
    >>> from graphcond.methods import method_names
    >>> "random" in method_names()
    True
"""
from __future__ import annotations

import dataclasses
import json
from importlib import resources
from typing import Any, ClassVar

from torch_geometric.data import Data, HeteroData

from ..budget import Budget


@dataclasses.dataclass
class NoConfig:
    """For methods without knobs."""


class Method:
    """Base class: subclasses set ``name``, ``kind`` and ``Config`` and implement ``run``."""

    name: ClassVar[str]
    kind: ClassVar[str] = "homogeneous"  # or "heterogeneous"
    needs_budget: ClassVar[bool] = True
    Config: ClassVar[type] = NoConfig
    summary: ClassVar[str] = ""
    presets: ClassVar[str | None] = None  # read another method's presets file (default: its own)

    def __init__(self, config=None):
        self.config = config if config is not None else self.Config()
        self.info: dict = {}  # diagnostics of the last run (JSON-friendly), kept in the file's metadata

    def run(self, data: Data | HeteroData, budget: Budget, seed: int, device, progress: bool):
        """Return the condensed PyG graph (``Data``/``HeteroData``)."""
        raise NotImplementedError


_METHODS: dict[str, type[Method]] = {}


def register_method(cls: type[Method]) -> type[Method]:
    """Class decorator adding a method to the registry under ``cls.name``."""
    _METHODS[cls.name] = cls
    return cls


def method_names(kind: str | None = None) -> list[str]:
    return [n for n, c in _METHODS.items() if kind is None or c.kind == kind]


def get_method(name: str) -> type[Method]:
    key = name.lower()
    if key not in _METHODS:
        raise KeyError(f"unknown method {name!r}; known: {', '.join(sorted(_METHODS))}")
    return _METHODS[key]


def load_presets(method: str) -> dict:
    """The JSON presets of ``method`` (empty when it has none)."""
    try:
        text = resources.files("graphcond.presets").joinpath(f"{method}.json").read_text()
    except FileNotFoundError:
        return {}
    return json.loads(text)


def preset_for_rate(table: dict, rate: float, tolerance: float = 0.05) -> dict:
    """The preset whose rate key is nearest ``rate`` (within ``tolerance``, relative):
    papers' rounded ratios give rates slightly off the authors' (59/120 for 0.5)."""
    best = min(table, key=lambda k: abs(float(k) - rate), default=None)
    if best is None or abs(float(best) - rate) > tolerance * float(best):
        return {}
    return table[best]


PYTHON_LITERALS = {"None": None, "True": True, "False": False}  # as the docstrings spell them


def parse_value(text: str) -> Any:
    """``--set`` values: JSON when it parses (numbers, booleans, lists, ``null``), Python's
    ``None`` / ``True`` / ``False``, else the string.

    Example:
        >>> [parse_value(t) for t in ("0.5", "null", "None", "True", "[1, 2]", "rw")]
        [0.5, None, None, True, [1, 2], 'rw']
    """
    if text in PYTHON_LITERALS:
        return PYTHON_LITERALS[text]
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def resolve_config(cls: type[Method], dataset: str, rate: float | None, quick: bool, overrides: dict):
    """Build ``cls.Config`` from defaults, presets and ``overrides`` (unknown keys refused)."""
    fields = {f.name: f for f in dataclasses.fields(cls.Config)}
    presets = load_presets(cls.presets or cls.name)
    layered: dict[str, Any] = {}
    ds = presets.get(dataset, {})
    layered.update({k: v for k, v in ds.items() if k != "by_rate"})
    if rate is not None:
        layered.update(preset_for_rate(ds.get("by_rate", {}), rate))
    if quick:
        layered.update(presets.get("quick", {}))
    unknown = set(overrides) - set(fields)
    if unknown:
        raise KeyError(
            f"method {cls.name!r} has no setting(s) {sorted(unknown)}; settings: {', '.join(fields) or 'none'}"
        )
    layered.update(overrides)
    return cls.Config(**{k: v for k, v in layered.items() if k in fields})
