"""Device choice, seeding, and wall-time / peak-memory measurement.

Example:
    >>> from graphcond.runtime import measure, resolve_device
    >>> with measure() as m:
    ...     _ = sum(range(1000))
    >>> m.seconds >= 0 and m.peak_mb >= 0
    True
    >>> str(resolve_device("cpu"))
    'cpu'
"""
from __future__ import annotations

import random
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` is CUDA when available, else CPU; anything else is passed to torch."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch; return a CPU generator seeded with ``seed``."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


@dataclass
class Measurement:
    """Wall time in seconds and peak memory in MB of a measured block."""

    seconds: float = 0.0
    peak_mb: float = 0.0


_STATUS = Path("/proc/self/status")
_CLEAR = Path("/proc/self/clear_refs")


def _rss_peak_mb() -> float:
    for line in _STATUS.read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _reset_rss_peak() -> bool:
    try:
        _CLEAR.write_text("5")
        return True
    except OSError:
        return False


@contextmanager
def measure(device: torch.device | None = None):
    """Measure wall time and peak memory of the block.

    On CUDA the peak is ``torch.cuda.max_memory_allocated``; on CPU it is the
    process's resident-set high-water mark, reset at entry where Linux allows it
    (otherwise it is the process's lifetime peak, an upper bound).
    """
    m = Measurement()
    cuda = device is not None and torch.device(device).type == "cuda"
    if cuda:
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
    elif _STATUS.exists():
        _reset_rss_peak()
    start = time.perf_counter()
    try:
        yield m
    finally:
        if cuda:
            torch.cuda.synchronize(device)
            m.peak_mb = torch.cuda.max_memory_allocated(device) / 2**20
        elif _STATUS.exists():
            m.peak_mb = _rss_peak_mb()
        m.seconds = time.perf_counter() - start
