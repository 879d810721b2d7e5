"""Gradient matching: GCond, GCond-X and DC-Graph on one matching core.

- :mod:`.matching`: GCond's matching loss, relay models, per-class gradients;
- :mod:`.structure`: the PGE structure learner, the identity structure, sparsification;
- :mod:`.real_gradients`: full-batch (cached) and neighbour-sampled real gradients;
- :mod:`.gcond`: the loop (:class:`GradientMatching`, with hooks for SR-GM) and the
  registered methods ``gcond``, ``gcondx``, ``dcgraph``.
"""
from .gcond import DCGraph, GCond, GCondX, GradientMatching, GradientMatchingConfig, MatchState
from . import srgm  # noqa: F401  (registers srgm)
from .matching import match_loss
from .structure import PGE, NoStructure

__all__ = ["DCGraph", "GCond", "GCondX", "GradientMatching", "GradientMatchingConfig", "MatchState", "PGE",
           "NoStructure", "match_loss"]
