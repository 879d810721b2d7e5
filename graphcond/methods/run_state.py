"""Resumable condensation loops: a loop's state, saved in the cache at each validation.

A long condensation (GEOM's Cora presets run for hours on a CPU) that is interrupted
(Ctrl-C, a killed kernel or job, a lost machine) loses at most the iterations since
its last validation: making the same call again continues from there, and ends where an
uninterrupted run would (the state holds the random generator and the optimisers).
The file is ``cache_dir()/runs/<method>-<dataset>-<key>.pt``, where ``key`` hashes
everything that shapes the run (the method, its config less the fields that do not,
the seed, the budget, the device type, the dataset's source hash and options); it is
written atomically and removed when the run completes.

Example:
    >>> from graphcond.methods.trajectory.geom import GEOMConfig
    >>> state = RunState("geom", cora, GEOMConfig(), 0, budget, "cpu")   # doctest: +SKIP
    >>> state.load() is None        # nothing saved: a fresh run           # doctest: +SKIP
    True
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path

import torch

from ..data.paths import cache_dir

FORMAT = "graphcond.run-state/1"
NOT_SHAPING = ("snapshot_dir", "resume")  # config fields that do not change a run's result


def save_atomic(obj, path: Path) -> None:
    """``torch.save`` to a temporary file beside ``path``, then rename it over ``path``
    (a reader never sees a half-written file)."""
    tmp = path.with_suffix(path.suffix + f".tmp{os.getpid()}")
    torch.save(obj, tmp)
    os.replace(tmp, path)


class RunState:
    """The saved loop state of one condensation call (see the module docstring)."""

    def __init__(self, method: str, data, config, seed: int, budget, device):
        shaping = {k: v for k, v in dataclasses.asdict(config).items() if k not in NOT_SHAPING}
        blob = json.dumps({
            "format": FORMAT, "method": method, "config": shaping, "seed": seed,
            "budget": budget.as_dict(), "device": torch.device(device).type,
            "source": data.source_hash, "options": getattr(data, "dataset_options", {}),
        }, sort_keys=True, default=str)
        key = hashlib.sha1(blob.encode()).hexdigest()[:16]
        self.path = cache_dir() / "runs" / f"{method}-{data.name}-{key}.pt"

    def load(self) -> dict | None:
        """The state saved last, or None."""
        return torch.load(self.path, weights_only=False) if self.path.exists() else None

    def save(self, state: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        save_atomic(state, self.path)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
