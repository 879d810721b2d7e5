"""Train a homogeneous GNN on one graph and select the epoch on another graph's validation nodes.

This is the one training loop: evaluation (train on the condensed graph, select and
test on the original), the coreset methods' embedding model and the relay/expert
models of the matching methods use it.

Example:
    >>> import torch
    >>> from torch_geometric.data import Data
    >>> from graphcond.training import TrainConfig, fit, mean_validation
    >>> g = Data(x=torch.eye(4), edge_index=torch.tensor([[0, 1, 2, 3], [1, 0, 3, 2]]),
    ...          y=torch.tensor([0, 0, 1, 1]), train_mask=torch.ones(4, dtype=torch.bool),
    ...          val_mask=torch.ones(4, dtype=torch.bool), test_mask=torch.ones(4, dtype=torch.bool),
    ...          num_classes=2)
    >>> fit(g, g, TrainConfig(epochs=50, hidden=8), torch.device("cpu"), seed=0).test
    1.0
    >>> mean_validation(g, g, TrainConfig(epochs=50, hidden=8), torch.device("cpu"), seed=0, runs=3)
    1.0
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.data import Data
from tqdm.auto import trange

from .models import build_model, graph_operator, normalize_dense


@dataclass
class TrainConfig:
    """Settings of one training run (GCond/GEOM evaluation defaults)."""

    model: str = "gcn"
    epochs: int = 600
    lr: float = 0.01
    weight_decay: float = 5e-4
    hidden: int = 256
    nlayers: int = 2
    dropout: float = 0.5


@dataclass
class HeteroTrainConfig(TrainConfig):
    """Settings of one heterogeneous evaluator run: a field left ``None`` takes the
    model's own default (SeHGNN's, HAN's, ...; see :mod:`graphcond.hetero`), a field
    given is used as given, even where it equals a homogeneous default.

    >>> HeteroTrainConfig(model="han", lr=0.01).lr, HeteroTrainConfig().epochs
    (0.01, None)
    """

    model: str = "sehgnn"
    epochs: int | None = None
    lr: float | None = None
    weight_decay: float | None = None
    hidden: int | None = None
    nlayers: int | None = None
    dropout: float | None = None


@dataclass
class FitResult:
    """Validation and test metric at the selected epoch, and the trained model."""

    val: float
    test: float
    epoch: int
    model: nn.Module


def operator_for(graph: Data, norm: str | None, device: torch.device):
    """The model operator of ``graph`` (``edge_weight`` honoured; learned dense ``adj`` if present)."""
    if norm is None:
        return None
    if getattr(graph, "adj", None) is not None:
        return normalize_dense(graph.adj.to(device), norm)
    ew = getattr(graph, "edge_weight", None)
    return graph_operator(graph.edge_index.to(device), None if ew is None else ew.to(device), graph.num_nodes, norm)


def model_input(x: Tensor, min_size: int = 1_000_000, max_density: float = 0.1) -> Tensor:
    """``x`` as a sparse CSR matrix when it is large and mostly zeros (bag-of-words
    features), which makes the first layer many times cheaper; else unchanged."""
    if x.numel() < min_size or x.layout != torch.strided:
        return x
    nnz = int(torch.count_nonzero(x))
    return x.to_sparse_csr() if nnz < max_density * x.numel() else x


def accuracy(logits: Tensor, y: Tensor) -> float:
    return (logits.argmax(-1) == y).float().mean().item() if y.numel() else float("nan")


def fit(
    train_graph: Data,
    eval_graph: Data,
    cfg: TrainConfig,
    device: torch.device,
    seed: int,
    eval_every: int = 1,
    progress: bool = False,
) -> FitResult:
    """Train ``cfg.model`` on ``train_graph`` (its ``train_mask`` nodes, or all nodes),
    keep the epoch with the best accuracy on ``eval_graph.val_mask``, report its
    accuracy on ``eval_graph.test_mask``. Labels may be soft (float rows)."""
    torch.manual_seed(seed)
    num_classes = int(eval_graph.num_classes)
    model = build_model(
        cfg.model, train_graph.num_features, num_classes, hidden=cfg.hidden, nlayers=cfg.nlayers, dropout=cfg.dropout
    ).to(device)
    op_train = operator_for(train_graph, model.norm, device)
    same = train_graph is eval_graph
    op_eval = op_train if same else operator_for(eval_graph, model.norm, device)
    x_tr, y_tr = model_input(train_graph.x.to(device)), train_graph.y.to(device)
    mask = getattr(train_graph, "train_mask", None)
    idx = torch.arange(train_graph.num_nodes, device=device) if mask is None else mask.nonzero().view(-1).to(device)
    x_ev, y_ev = model_input(eval_graph.x.to(device)), eval_graph.y.to(device)
    val_idx, test_idx = eval_graph.val_mask.to(device), eval_graph.test_mask.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    best = (-1.0, float("nan"), -1, None)
    for epoch in trange(cfg.epochs, desc=f"train {cfg.model}", disable=not progress, leave=False):
        model.train()
        opt.zero_grad()
        loss = F.cross_entropy(model(x_tr, op_train)[idx], y_tr[idx])  # hard or soft labels
        loss.backward()
        opt.step()
        if (epoch + 1) % eval_every and epoch != cfg.epochs - 1:
            continue
        model.eval()
        with torch.no_grad():
            out = model(x_ev, op_eval)
        val = accuracy(out[val_idx], y_ev[val_idx])
        if val > best[0]:
            best = (val, accuracy(out[test_idx], y_ev[test_idx]), epoch, copy.deepcopy(model.state_dict()))
    model.load_state_dict(best[3])
    return FitResult(best[0], best[1], best[2], model)


def mean_validation(
    train_graph: Data, eval_graph: Data, cfg: TrainConfig, device: torch.device, seed: int, runs: int = 1
) -> float:
    """Mean best-epoch validation accuracy of ``runs`` :func:`fit` runs seeded ``seed``,
    ``seed + 1``, ...: the score the matching methods select their condensed graph by.
    One run (the authors' protocol) is noisy; more runs make the choice steadier."""
    if runs < 1:
        raise ValueError(f"runs must be at least 1, got {runs}")
    return sum(fit(train_graph, eval_graph, cfg, device, seed + r).val for r in range(runs)) / runs
