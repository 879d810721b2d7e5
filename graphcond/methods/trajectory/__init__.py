"""Trajectory matching: expert buffers (plain or curriculum), SFGC and GEOM.

- :mod:`.difficulty`: neighbourhood-label entropy and the curriculum pacing functions;
- :mod:`.buffer`: expert training with on-disk, resumable, keyed caching;
- :mod:`.student`: the structure-free GCN student unrolled in closed form and the
  matching loss;
- :mod:`.geom`: the ``sfgc`` and ``geom`` methods (one implementation, ablation switches).

Example:
    >>> from graphcond.methods import method_names
    >>> {"sfgc", "geom"} <= set(method_names())
    True
"""
from . import geom  # noqa: F401  (registers sfgc and geom)
