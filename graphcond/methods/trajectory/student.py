"""The structure-free GCN student, unrolled in closed form, and the matching loss.

On a structure-free condensed graph (identity adjacency, so the GCN operator is the
identity) the evaluation GCN is ``relu(X W1ᵀ + b1) W2ᵀ + b2``. Plain SGD on the mean
cross-entropy changes ``W1`` only by ``-lr δ1ᵀ X`` (``δ1`` the ``n x h`` gradient at the
hidden pre-activation), so the student never needs ``W1`` inside the loop: it tracks
the pre-activation ``Z = X W1ᵀ + b1``, which moves by ``-(X Xᵀ + 1) lr δ1``, and the
sum ``D = Σ lr δ1``, from which ``W1 = W1₀ - Dᵀ X`` and ``b1 = b1₀ - 1ᵀ D`` come out at
the end. Each step is a handful of ``n x h`` products with hand-written gradients, so
autograd keeps only first-order tensors of size ``n x h`` per step (no ``h x d``
weights, no double backward), and long unrolls can further be cut into recomputed
segments (``segment``) to keep memory at O(sqrt(steps)) steps.

:func:`reference_unroll` is the plain autograd version on the library's GCN
(``functional_forward``), used by the tests to check the fast path.

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
from torch.utils.checkpoint import checkpoint


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


def _steps(z: Tensor, w2: Tensor, b2: Tensor, d: Tensor, g1: Tensor, y: Tensor, lr: Tensor, k: int):
    scale = lr / z.size(0)
    for _ in range(k):
        mask = (z > 0).to(z.dtype)
        r = z * mask
        out = torch.addmm(b2, r, w2.t())
        s2 = (torch.softmax(out, dim=1) - y) * scale  # lr * dLoss/dOut
        s1 = (s2 @ w2) * mask  # lr * dLoss/dZ (with the pre-step W2)
        w2 = torch.addmm(w2, s2.t(), r, alpha=-1)
        b2 = b2 - s2.sum(0)
        z = torch.addmm(z, g1, s1, alpha=-1)
        d = d + s1
    return z, w2, b2, d


def auto_segment(n: int, hidden: int, steps: int, budget_mb: float = 512.0) -> int:
    """Segment length that keeps the unroll's saved tensors under ``budget_mb``
    (0: no segmentation needed)."""
    est_mb = steps * 8 * n * hidden * 4 / 2**20
    return 0 if est_mb <= budget_mb else max(1, int(math.sqrt(steps)))


def unroll(x: Tensor, y: Tensor, theta: Tensor, shapes, lr: Tensor, steps: int, segment: int = 0) -> list[Tensor]:
    """Parameters ``[W1, b1, W2, b2]`` after ``steps`` SGD steps (learning rate ``lr``)
    of the structure-free GCN on ``(x, y)`` (``y``: class-probability rows) from the
    flat ``theta``; differentiable in ``x``, ``y`` and ``lr``. ``segment > 0``
    recomputes every ``segment`` steps in the backward pass instead of storing them."""
    w1, b1, w2, b2 = split(theta, shapes)
    g1 = torch.addmm(torch.ones(x.size(0), x.size(0), dtype=x.dtype, device=x.device), x, x.t())  # X Xᵀ + 1
    z = torch.addmm(b1, x, w1.t())
    d = torch.zeros_like(z)
    if segment and segment < steps:
        done = 0
        while done < steps:
            k = min(segment, steps - done)
            z, w2, b2, d = checkpoint(_steps, z, w2, b2, d, g1, y, lr, k, use_reentrant=False)
            done += k
    else:
        z, w2, b2, d = _steps(z, w2, b2, d, g1, y, lr, steps)
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
