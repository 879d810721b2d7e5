"""The matching core: GCond, GCond-X, DC-Graph, SR-GM, GCDM and GCDM + SR.

- :mod:`.matching`: GCond's matching loss, relay models, per-class gradients;
- :mod:`.structure`: the PGE structure learner, the identity structure, sparsification;
- :mod:`.real_gradients`: full-batch (cached) and neighbour-sampled real gradients;
- :mod:`.gcond`: the loop (:class:`GradientMatching`, with hooks) and the registered
  methods ``gcond``, ``gcondx``, ``dcgraph``;
- :mod:`.regularizer`: SR-GM's decoupling and damping as a plug-in;
- :mod:`.srgm`: ``srgm``; :mod:`.gcdm`: ``gcdm`` (distribution matching) and ``gcdm-sr``.
"""
from .gcond import DCGraph, GCond, GCondX, GradientMatching, GradientMatchingConfig, MatchState
from . import gcdm, srgm  # noqa: F401  (register srgm, gcdm, gcdm-sr)
from .matching import match_loss
from .structure import PGE, NoStructure

__all__ = ["DCGraph", "GCond", "GCondX", "GradientMatching", "GradientMatchingConfig", "MatchState", "PGE",
           "NoStructure", "match_loss"]
