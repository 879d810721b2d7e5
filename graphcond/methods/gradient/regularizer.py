"""The SR regulariser of SR-GM as a plug-in for any condenser on the matching core.

On graphs whose features are ``[text | image]`` blocks (``data.modalities``):

- **Decoupling.** ``G = dL_syn/dX_syn`` (cross-entropy of the relay on the synthetic
  graph w.r.t. the synthetic features), each row split into ``g_t`` (text) and ``g_v``
  (image); rows with ``<g_t, g_v> < 0`` (conflict) become
  ``g_t' = g_t - <g_t,g_v>/|g_v|^2 g_v`` and ``g_v' = g_v - <g_t,g_v>/|g_t|^2 g_t``
  (both from the ORIGINAL halves, :func:`decouple_rows`); other rows are untouched.
  The blocks must have the same width (a shared embedding space, e.g. CLIP 512+512).
  Where it acts: (1) on ``G`` inside the damping term (the paper's ``G'``), and
  (2) with ``decouple_update=True`` (default) also on the synthetic-feature update
  direction (the gradient of the total loss w.r.t. ``X_syn``, through the
  ``transform_feature_grad`` hook), which is how decoupling reaches the features at
  all when damping is off or detached.
- **Damping.** ``lambda * tr(G'^T L G')`` with ``L = I - D^-1/2 (A_syn + I) D^-1/2``
  (:func:`dirichlet_energy`), added to the condenser's loss. ``damping_mode="paper"``:
  ``G`` is built with ``create_graph=True`` so the term reaches the synthetic features
  (second-order gradient) and the structure; ``"detached"``: the authors' code, ``G``
  detached, only the adjacency feels the term (so the features feel it only through
  ``A_syn = PGE(X_syn)``, as in any structure path).

:class:`StructuralRegularization` is a mixin placed before a
:class:`~.gcond.GradientMatching` subclass (SR-GM = it + GCond's loop; GCDM + SR = it +
GCDM); its config adds :class:`SRSettings`. Diagnostics in ``self.info`` (per epoch,
means over its outer steps): ``conflict_share`` (share of synthetic rows of ``G`` with
``<g_t, g_v> < 0``), ``modality_cosine`` (mean cosine of ``g_t`` and ``g_v``),
``dirichlet_energy`` (``tr(G'^T L G')``, undamped value), ``update_conflict_share``
(same share for the feature update direction).

Example:
    >>> import torch
    >>> g_t, g_v = torch.tensor([[1.0, 0.0]]), torch.tensor([[-1.0, 1.0]])
    >>> t2, v2, conflict = decouple_rows(g_t, g_v)
    >>> conflict.tolist(), t2.tolist()
    ([True], [[0.5, 0.5]])
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.data import Data

from .gcond import MatchState


def decouple_rows(g_t: Tensor, g_v: Tensor, eps: float = 1e-12) -> tuple[Tensor, Tensor, Tensor]:
    """Project conflicting rows (``<g_t, g_v> < 0``) onto each other's normal plane.

    Returns ``(g_t', g_v', conflict)``; both projections use the original halves, so for
    a conflicting row ``<g_t', g_v> = 0`` and ``<g_v', g_t> = 0``. Differentiable.
    """
    dot = (g_t * g_v).sum(1, keepdim=True)
    conflict = dot < 0
    nt = (g_t * g_t).sum(1, keepdim=True).clamp_min(eps)
    nv = (g_v * g_v).sum(1, keepdim=True).clamp_min(eps)
    gt2 = torch.where(conflict, g_t - dot / nv * g_v, g_t)
    gv2 = torch.where(conflict, g_v - dot / nt * g_t, g_v)
    return gt2, gv2, conflict.view(-1)


def normalized_laplacian(adj: Tensor) -> Tensor:
    """``L = I - D^-1/2 (A + I) D^-1/2`` with ``D`` the degrees of ``A + I`` (dense)."""
    n = adj.size(0)
    eye = torch.eye(n, dtype=adj.dtype, device=adj.device)
    a = adj + eye
    dinv = a.sum(1).clamp_min(1e-12).pow(-0.5)
    return eye - dinv.view(-1, 1) * a * dinv.view(1, -1)


def dirichlet_energy(g: Tensor, adj: Tensor) -> Tensor:
    """``tr(G^T L G)`` over the graph ``adj`` (see :func:`normalized_laplacian`)."""
    return (g * (normalized_laplacian(adj) @ g)).sum()


@dataclass
class SRSettings:
    """The regulariser's settings: ``decouple``/``damping`` (ablations),
    ``damping_mode`` (``"paper"``: second-order, reaches the features; ``"detached"``:
    authors' code, adjacency only), ``damping_lambda`` (3000, authors),
    ``decouple_update`` (also decouple the feature update direction), ``modalities``
    (override ``[[start, stop], [start, stop]]`` when the graph carries no
    ``modalities`` metadata)."""

    decouple: bool = True
    damping: bool = True
    damping_mode: str = "paper"
    damping_lambda: float = 3000.0
    decouple_update: bool = True
    modalities: list | None = None


class StructuralRegularization:
    """Mixin: decoupling and damping on top of a matching-core condenser (see module)."""

    # ---- set-up ----------------------------------------------------------------------
    def _slices(self, data: Data) -> tuple[slice, slice]:
        if self.config.modalities:
            (a, b), (c, d) = self.config.modalities
            self._mods = {"text": (int(a), int(b)), "image": (int(c), int(d))}
        else:
            from ...data.multimodal import modality_slices

            mods = modality_slices(data)
            if len(mods) != 2:
                raise ValueError(f"{self.name} needs exactly two modalities, the graph has {sorted(mods)}")
            self._mods = mods
        (a, b), (c, d) = self._mods.values()
        if b - a != d - c:
            raise ValueError(f"{self.name} projects one modality's gradient on the other's: the blocks must have the "
                             f"same width, got {self._mods}")
        return slice(a, b), slice(c, d)

    def run(self, data: Data, budget, seed: int, device, progress: bool) -> Data:
        cfg = self.config
        if cfg.damping_mode not in ("paper", "detached"):
            raise ValueError(f"damping_mode must be 'paper' or 'detached', got {cfg.damping_mode!r}")
        self._s_t, self._s_v = self._slices(data)
        self._acc = defaultdict(lambda: defaultdict(list))
        graph = super().run(data, budget, seed, device, progress)
        epochs = sorted(self._acc)
        self.info.update({k: [round(float(sum(self._acc[e][k]) / len(self._acc[e][k])), 6) if self._acc[e][k] else None
                              for e in epochs]
                          for k in ("conflict_share", "modality_cosine", "dirichlet_energy", "update_conflict_share")})
        self.info["epochs"] = epochs
        self.info["modalities"] = {k: list(v) for k, v in self._mods.items()}
        return graph

    def loop_state(self) -> dict:
        return {"diagnostics": {e: dict(v) for e, v in self._acc.items()}}

    def load_loop_state(self, state: dict) -> None:
        for e, v in state["diagnostics"].items():
            self._acc[e].update(v)

    def to_graph(self, feat, structure, labels) -> Data:
        g = super().to_graph(feat, structure, labels)
        g.modalities = dict(self._mods)
        return g

    # ---- hooks -------------------------------------------------------------------------
    def extra_loss(self, state: MatchState) -> Tensor | None:
        cfg = self.config
        second_order = cfg.damping and cfg.damping_mode == "paper"
        logits = state.model(state.feat, state.op)
        ce = F.cross_entropy(logits, state.labels)
        (g,) = torch.autograd.grad(ce, [state.feat], create_graph=second_order, retain_graph=True)
        if not second_order:
            g = g.detach()
        g_t, g_v = g[:, self._s_t], g[:, self._s_v]
        with torch.no_grad():
            acc = self._acc[state.epoch]
            dot = (g_t * g_v).sum(1)
            acc["conflict_share"].append(float((dot < 0).float().mean()))
            cos = dot / (g_t.norm(dim=1) * g_v.norm(dim=1)).clamp_min(1e-12)
            acc["modality_cosine"].append(float(cos.mean()))
        if cfg.decouple:
            g_t, g_v, _ = decouple_rows(g_t, g_v)
        g2 = torch.cat([g_t, g_v], 1)
        adj = state.adj if cfg.damping else state.adj.detach()
        energy = dirichlet_energy(g2, adj)
        acc["dirichlet_energy"].append(float(energy.detach()))
        if not cfg.damping:
            return None
        return cfg.damping_lambda * energy

    def transform_feature_grad(self, grad: Tensor, state: MatchState) -> Tensor:
        if not (self.config.decouple and self.config.decouple_update):
            return grad
        g_t, g_v, conflict = decouple_rows(grad[:, self._s_t], grad[:, self._s_v])
        self._acc[state.epoch]["update_conflict_share"].append(float(conflict.float().mean()))
        out = grad.clone()
        out[:, self._s_t], out[:, self._s_v] = g_t, g_v
        return out
