"""Resumable condensation loops: a loop's state, saved in the cache as it runs.

A long condensation (GEOM's Cora presets run for hours on a CPU) that is interrupted
(Ctrl-C, a killed kernel or job, a lost machine) loses at most about ``SAVE_SECONDS``
of work: the loop saves its state at the end of an iteration when that long has passed
since the last save, and making the same call again continues from there and ends where
an uninterrupted run would (the state holds the random generators and the optimisers).
The file is ``cache_dir()/runs/<method>-<dataset>-<key>.pt``, where ``key`` hashes
everything that shapes the run (the method, its config less the fields that do not,
the seed, the budget, the device type, the dataset's source hash and options); it is
written atomically and removed when the run completes.

Example:
    >>> from graphcond.methods.trajectory.geom import GEOMConfig
    >>> state = RunState("geom", cora, GEOMConfig(), 0, budget, "cpu")   # doctest: +SKIP
    >>> state.restore({"x": x}, {"x": opt}, gen) is None   # nothing saved: a fresh run  # doctest: +SKIP
    True
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from contextlib import contextmanager
from pathlib import Path

import torch

from ..data.paths import cache_dir

FORMAT = "graphcond.run-state/1"
NOT_SHAPING = ("snapshot_dir", "resume")  # config fields that do not change a run's result
SAVE_SECONDS = 60.0  # seconds of work an interrupt may lose (read at each check)


def runs_dir() -> Path:
    """Where run states live: ``cache_dir()/runs``."""
    return cache_dir() / "runs"


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
        self.path = runs_dir() / f"{method}-{data.name}-{key}.pt"
        self.saved_at = 0  # the iteration saved or restored last (0: none)
        self._last_save = time.monotonic()

    def due(self) -> bool:
        """Whether ``SAVE_SECONDS`` have passed since the last save (or the start)."""
        return time.monotonic() - self._last_save >= SAVE_SECONDS

    def save(self, iteration: int, tensors: dict, optimizers: dict, generator: torch.Generator, **extra) -> None:
        """Save the loop after ``iteration``: copies of ``tensors``, the ``optimizers``'
        states, ``generator``'s and torch's global random states, and ``extra`` (any
        picklable values: histories, the best graph so far). ``None`` entries are skipped."""
        state = {
            "iteration": iteration,
            "tensors": {k: t.detach().cpu().clone() for k, t in tensors.items() if t is not None},
            "optimizers": {k: o.state_dict() for k, o in optimizers.items() if o is not None},
            "generator": generator.get_state(), "torch_rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
            "extra": extra,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        save_atomic(state, self.path)
        self.saved_at, self._last_save = iteration, time.monotonic()

    def restore(self, tensors: dict, optimizers: dict, generator: torch.Generator) -> tuple[int, dict] | None:
        """Load the saved state into ``tensors`` (in place), ``optimizers`` and the random
        generators; return ``(iteration, extra)``, or None when nothing is saved."""
        if not self.path.exists():
            return None
        state = torch.load(self.path, weights_only=False)
        with torch.no_grad():
            for k, t in tensors.items():
                if t is not None:
                    t.copy_(state["tensors"][k])
        for k, o in optimizers.items():
            if o is not None:
                o.load_state_dict(state["optimizers"][k])
        generator.set_state(state["generator"])
        torch.set_rng_state(state["torch_rng"])
        if state["cuda_rng"] is not None and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["cuda_rng"])
        self.saved_at = state["iteration"]
        return state["iteration"], state["extra"]

    @contextmanager
    def running(self, name: str):
        """Around a method's loop: an interrupt gets a note saying where a rerun of the
        same call resumes; a loop that completes removes the saved state."""
        try:
            yield
        except KeyboardInterrupt as exc:
            exc.add_note(f"{name}: interrupted; the same call resumes from iteration {self.saved_at} ({self.path})"
                         if self.saved_at else f"{name}: interrupted before its first save; a rerun starts over")
            raise
        self.clear()

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
