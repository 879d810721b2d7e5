"""The structure-free GCN student, unrolled in closed form, and the matching loss.

On a structure-free condensed graph (identity adjacency, so the GCN operator is the
identity) the evaluation GCN is ``relu(X W1ᵀ + b1) W2ᵀ + b2``. Plain SGD on the mean
cross-entropy changes ``W1`` only by ``-lr δ1ᵀ X`` (``δ1`` the ``n x h`` gradient at the
hidden pre-activation), so the student never needs ``W1`` inside the loop: it tracks
the pre-activation ``Z = X W1ᵀ + b1``, which moves by ``-(X Xᵀ + 1) lr δ1``, and the
sum ``D = Σ lr δ1``, from which ``W1 = W1₀ - Dᵀ X`` and ``b1 = b1₀ - 1ᵀ D`` come out at
the end. Each step is a handful of ``n x h`` products.

The unroll is one autograd node with a hand-written adjoint (reverse) pass over the
stored per-step states ``(Z, W2, b2)``: no per-step autograd graph, no double
backward, about ``steps x n x h`` floats of memory (Cora 2.6%, 2500 steps: 171 MB).
Longer unrolls keep every ``segment``-th state only and recompute the others
backwards (O(sqrt(steps)) memory). Measured on one CPU thread, Cora 2.6% shapes
(70 x 1433, hidden 256, 2500 steps), forward plus backward: 1.8-2.3 s, against
5.9-6.0 s for the earlier per-step autograd path with the recomputed segments its
memory needed (2.1 s without them, at 1.4 GB).

:func:`reference_unroll` is the plain autograd version on the library's GCN
(``functional_forward``), used by the tests to check the fast path and its gradients.

Example:
    >>> import torch
    >>> shapes = [(4, 3), (4,), (2, 4), (2,)]
    >>> theta = torch.randn(sum(torch.Size(s).numel() for s in shapes))
    >>> out = unroll(torch.randn(5, 3), torch.eye(2)[[0, 1, 0, 1, 0]], theta, shapes, torch.tensor(0.1), 3)
    >>> [tuple(t.shape) for t in out]
    [(4, 3), (4,), (2, 4), (2,)]
    >>> float(matching_loss(out, [t + 1 for t in out], out))   # student == target
    0.0
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor


def split(theta: Tensor, shapes) -> list[Tensor]:
    """Views of the flat vector ``theta`` in the given shapes (``W1, b1, W2, b2``)."""
    out, i = [], 0
    for s in shapes:
        k = math.prod(s)
        out.append(theta[i : i + k].view(s))
        i += k
    if i != theta.numel():
        raise ValueError(f"parameter vector has {theta.numel()} entries, shapes need {i}")
    return out


def _relu_grad(g: Tensor, z: Tensor) -> Tensor:
    """``g * (z > 0)`` in one kernel (a third of the time of building the mask)."""
    return torch.ops.aten.threshold_backward(g, z, 0)


def _terms(z: Tensor, w2: Tensor, b2: Tensor, y: Tensor, a: Tensor):
    """What one SGD step (``a`` = lr / n) needs from the state: ``r = relu(z)``, the
    softmax ``p``, ``s2 = a (p - y)`` (lr x dLoss/dOut) and ``s1`` (lr x dLoss/dZ, with
    the pre-step ``W2``)."""
    r = torch.relu(z)
    p = torch.softmax(torch.addmm(b2, r, w2.t()), dim=1)
    s2 = (p - y) * a
    return r, p, s2, _relu_grad(s2 @ w2, z)


def _forward(z, w2, b2, g1, y, a, k: int, keep: bool):
    """``k`` steps from ``(z, w2, b2)``: the final state, ``D`` (the sum of the ``s1``) and,
    when ``keep``, the state before each step."""
    states, d = [], torch.zeros_like(z)
    for _ in range(k):
        if keep:
            states.append((z, w2, b2))
        r, _, s2, s1 = _terms(z, w2, b2, y, a)
        z, w2, b2 = torch.addmm(z, g1, s1, alpha=-1), torch.addmm(w2, s2.t(), r, alpha=-1), b2 - s2.sum(0)
        d += s1
    return (z, w2, b2), d, states


class _Unroll(torch.autograd.Function):
    """``(G, Z₀, W2₀, b2₀, Y, lr) -> (D, W2, b2)`` after ``steps`` steps, with a
    hand-written adjoint pass: autograd records one node for the whole unroll instead of
    a dozen per step. States are kept for every step, or, with ``segment``, every
    ``segment`` steps and recomputed segment by segment in the backward pass."""

    @staticmethod
    def forward(ctx, g1, z, w2, b2, y, lr, steps: int, segment: int):
        a = lr / z.size(0)
        seg = segment if 0 < segment < steps else steps
        bounds, d, state, states = [], torch.zeros_like(z), (z, w2, b2), None
        for start in range(0, steps, seg):
            bounds.append(state)
            state, dk, states = _forward(*state, g1, y, a, min(seg, steps - start), keep=seg == steps)
            d += dk
        ctx.save_for_backward(g1, y, a)
        ctx.bounds, ctx.states, ctx.seg, ctx.steps = bounds, states if seg == steps else None, seg, steps
        return d, state[1], state[2]

    @staticmethod
    def backward(ctx, gd, gw2, gb2):
        g1, y, a = ctx.saved_tensors
        gz, gw2, gb2 = torch.zeros_like(gd), gw2.clone(), gb2.clone()
        gg, gy, ga = torch.zeros_like(g1), torch.zeros_like(y), torch.zeros_like(a)
        for i in reversed(range(len(ctx.bounds))):
            k = min(ctx.seg, ctx.steps - i * ctx.seg)
            states = ctx.states if ctx.states is not None else _forward(*ctx.bounds[i], g1, y, a, k, keep=True)[2]
            for z, w2, b2 in reversed(states):
                r, p, s2, s1 = _terms(z, w2, b2, y, a)
                gm = _relu_grad(torch.addmm(gd, g1, gz, alpha=-1), z)  # through z' = z - G s1 and D' = D + s1
                gg.addmm_(gz, s1.t(), alpha=-1)
                gs2 = gm @ w2.t() - r @ gw2.t() - gb2  # s1 = (s2 W2) m; W2' = W2 - s2ᵀ r; b2' = b2 - 1ᵀ s2
                gr = -(s2 @ gw2)
                gy.sub_(gs2 * a)
                ga += (gs2 * (p - y)).sum()
                gp = gs2 * a
                go = p * (gp - (gp * p).sum(1, keepdim=True))  # softmax
                gr.addmm_(go, w2)  # o = r W2ᵀ + b2
                gw2 = gw2 + s2.t() @ gm + go.t() @ r
                gb2 = gb2 + go.sum(0)
                gz = gz + _relu_grad(gr, z)
        ctx.bounds = ctx.states = None
        return gg, gz, gw2, gb2, gy, ga / gz.size(0), None, None


def auto_segment(n: int, hidden: int, steps: int, budget_mb: float = 512.0) -> int:
    """Segment length that keeps the unroll's stored states (an ``n x hidden`` matrix per
    step) under ``budget_mb`` (0: no segmentation needed)."""
    est_mb = steps * n * hidden * 4 / 2**20
    return 0 if est_mb <= budget_mb else max(1, int(math.sqrt(steps)))


def unroll(x: Tensor, y: Tensor, theta: Tensor, shapes, lr: Tensor, steps: int, segment: int = 0) -> list[Tensor]:
    """Parameters ``[W1, b1, W2, b2]`` after ``steps`` SGD steps (learning rate ``lr``)
    of the structure-free GCN on ``(x, y)`` (``y``: class-probability rows) from the
    flat ``theta``; differentiable in ``x``, ``y`` and ``lr``. ``segment > 0`` keeps
    the states of every ``segment``-th step only and recomputes the rest backwards."""
    w1, b1, w2, b2 = split(theta, shapes)
    g1 = torch.addmm(torch.ones(x.size(0), x.size(0), dtype=x.dtype, device=x.device), x, x.t())  # X Xᵀ + 1
    z = torch.addmm(b1, x, w1.t())
    d, w2, b2 = _Unroll.apply(g1, z, w2, b2, y, torch.as_tensor(lr, dtype=x.dtype, device=x.device), steps, segment)
    return [w1 - d.t() @ x, b1 - d.sum(0), w2, b2]


def reference_unroll(x: Tensor, y: Tensor, theta: Tensor, shapes, lr: Tensor, steps: int) -> list[Tensor]:
    """The same unroll with autograd's double backward through the library GCN."""
    from ...models import build_model, functional_forward, graph_operator

    h, d = shapes[0]
    c = shapes[2][0]
    model = build_model("gcn", d, c, hidden=h, nlayers=2, dropout=0.0)
    names = [n for n, _ in model.named_parameters()]
    op = graph_operator(torch.empty(2, 0, dtype=torch.long), None, x.size(0), "gcn", dense=True)
    if not theta.requires_grad:
        theta = theta.detach().requires_grad_()
    params = split(theta, shapes)
    for _ in range(steps):
        out = functional_forward(model, dict(zip(names, params)), x, op)
        loss = F.cross_entropy(out, y)
        grads = torch.autograd.grad(loss, params, create_graph=True)
        params = [p - lr * g for p, g in zip(params, grads)]
    return params


def matching_loss(student, start, target, squared: bool = True) -> Tensor:
    """``||θ_student - θ_target||² / ||θ_start - θ_target||²`` (GEOM paper), or the ratio
    of the unsquared norms when ``squared=False``."""
    num = sum(((s - t) ** 2).sum() for s, t in zip(student, target))
    den = sum(((a - t) ** 2).sum() for a, t in zip(start, target))
    return num / den if squared else num.sqrt() / den.sqrt()
