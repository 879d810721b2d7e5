"""SR-GM: structurally-regularised gradient matching for multimodal graphs.

GCond's matching loop (:class:`~.gcond.GradientMatching`, GCN relay, learned PGE
structure) with the SR regulariser (:mod:`.regularizer`: modality decoupling and
structural damping) on graphs whose features are ``[text | image]`` blocks
(``data.modalities``). Ablations: ``decouple``, ``damping`` (both off = GCond with
SR-GM's settings). The loop settings (:class:`SRGMLoopConfig`) are the SR-GM authors';
their GCDM baseline runs with the same ones.

Example:
    >>> from graphcond import condense, load_dataset
    >>> g = load_dataset("mm-csbm", misalignment=0.6)                       # doctest: +SKIP
    >>> c = condense(g, "srgm", rate=0.5, quick=True)                         # doctest: +SKIP
    >>> c.graph.modalities                                                    # doctest: +SKIP
    {'text': (0, 32), 'image': (32, 64)}
"""
from __future__ import annotations

from dataclasses import dataclass

from ..base import register_method
from .gcond import GradientMatching, GradientMatchingConfig
from .regularizer import SRSettings, StructuralRegularization


@dataclass
class SRGMLoopConfig(GradientMatchingConfig):
    """The SR-GM authors' loop (METHODS.md section 3): GCN relay 2x256, 1000 epochs,
    20 outer / 10 inner loops, Adam lr 1e-3 for features, structure and relay,
    structure updated when ``epoch % 50 < 10``."""

    relay: str = "gcn"
    nlayers: int = 2
    hidden: int = 256
    epochs: int = 1000
    outer_loop: int = 20
    inner_loop: int = 10
    lr_feat: float = 1e-3
    lr_adj: float = 1e-3
    lr_model: float = 1e-3
    e1: int = 10
    e2: int = 40


@dataclass
class SRGMConfig(SRSettings, SRGMLoopConfig):
    """SR-GM's loop plus the regulariser's settings (:class:`~.regularizer.SRSettings`)."""


@register_method
class SRGM(StructuralRegularization, GradientMatching):
    name, summary = "srgm", "SR-GM: gradient matching with modality decoupling and structural damping"
    Config = SRGMConfig
    learn_structure, real_structure = True, True
