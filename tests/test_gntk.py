"""The graph neural tangent kernel and SFGC's graph neural feature score."""
from __future__ import annotations

import math

import pytest
import torch
from torch_geometric.data import Data

from graphcond.methods.gntk import FeatureScore, gntk, mean_aggregation


def random_graph(n: int, dim: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, dim, generator=g, dtype=torch.float64)
    edges = torch.randint(n, (2, 2 * n), generator=g)
    return x, edges


def test_one_relu_layer_hand_computed():
    # two nodes joined by an edge, features e1 and e2: P = [[.5, .5], [.5, .5]], so
    # Σ = P I Pᵀ = 1/2 everywhere, every correlation is 1, Σ stays 1/2, Σ' = 1: Θ = 1/2 + 1/2
    x = torch.eye(2, dtype=torch.float64)
    p = mean_aggregation(torch.tensor([[0], [1]]), 2)
    assert gntk(x, p, x, p, blocks=1, mlp_layers=1).flatten().tolist() == pytest.approx([1.0] * 4)
    # no edges, orthogonal unit rows: correlation 0 -> Σ = 1/π, Σ' = 1/2; Θ = 0 · 1/2 + 1/π
    k = gntk(x, None, x, None, blocks=1, mlp_layers=1)
    assert k[0, 1].item() == pytest.approx(1 / math.pi) and k[0, 0].item() == pytest.approx(2.0)


def test_kernel_between_two_graphs_is_the_block_of_their_disjoint_union():
    # the cross-graph kernel normalises by each graph's own Σ diagonal after the same
    # aggregations (the SFGC authors' code skips one aggregation there and fails this)
    (x1, e1), (x2, e2) = random_graph(6, 4, 0), random_graph(5, 4, 1)
    p1, p2 = mean_aggregation(e1, 6), mean_aggregation(e2, 5)
    union = mean_aggregation(torch.cat([e1, e2 + 6], 1), 11)
    x = torch.cat([x1, x2])
    whole = gntk(x, union, x, union)
    assert torch.allclose(gntk(x1, p1, x2, p2), whole[:6, 6:], atol=1e-10)
    assert torch.allclose(gntk(x1, p1, x1, p1), whole[:6, :6], atol=1e-10)
    assert torch.allclose(whole, whole.T, atol=1e-10) and torch.linalg.eigvalsh(whole).min() > -1e-8


def test_kernel_is_permutation_equivariant():
    (x1, e1), (x2, _) = random_graph(6, 4, 2), random_graph(3, 4, 3)
    perm = torch.tensor([3, 0, 5, 1, 4, 2])
    inverse = torch.empty_like(perm)
    inverse[perm] = torch.arange(6)
    k = gntk(x1, mean_aggregation(e1, 6), x2, None)
    kp = gntk(x1[perm], mean_aggregation(inverse[e1], 6), x2, None)
    assert torch.allclose(kp, k[perm], atol=1e-10)


def validation_only_graph(x, y):
    """Validation nodes without edges among them: their aggregation is the identity."""
    n = x.size(0)
    return Data(x=x.float(), y=y, edge_index=torch.empty(2, 0, dtype=torch.long), num_nodes=n,
                val_mask=torch.ones(n, dtype=torch.bool), num_classes=int(y.max()) + 1)


def test_score_is_zero_when_the_condensed_graph_is_the_validation_set():
    x, _ = random_graph(12, 5, 4)
    y = torch.arange(3).repeat(4)
    score = FeatureScore(validation_only_graph(x, y), reg=1e-12)
    assert score(x.float(), y) == pytest.approx(0.0, abs=1e-8)
    # the authors' ridge (λ = 1) shrinks the fit: the score is positive, and soft labels
    # equal to the one-hot rows score the same as class indices
    ridge = FeatureScore(validation_only_graph(x, y), reg=1.0)
    assert ridge(x.float(), y) > 1e-3
    assert ridge(x.float(), torch.nn.functional.one_hot(y).float()) == pytest.approx(ridge(x.float(), y))


def test_score_caps_the_validation_nodes_and_needs_some():
    x, _ = random_graph(30, 5, 5)
    y = torch.arange(3).repeat(10)
    capped = FeatureScore(validation_only_graph(x, y), max_nodes=7, seed=1)
    assert capped.x.shape == (7, 5) and capped.p.shape == (7, 7)
    empty = validation_only_graph(x, y)
    empty.val_mask[:] = False
    with pytest.raises(ValueError, match="validation nodes"):
        FeatureScore(empty)


def test_score_prefers_true_labels_on_cora(cora):
    train = cora.train_mask.nonzero().view(-1)
    nodes = torch.cat([train[cora.y[train] == c][:10] for c in range(7)])
    score = FeatureScore(cora)
    true = score(cora.x[nodes], cora.y[nodes])
    shuffled = score(cora.x[nodes], cora.y[nodes][torch.randperm(70, generator=torch.Generator().manual_seed(0))])
    noise = score(torch.rand(70, cora.num_features, generator=torch.Generator().manual_seed(0)), cora.y[nodes])
    assert true < shuffled and true < noise
