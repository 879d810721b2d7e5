"""Coarsening-HG: the same-type graph's factor, variation-neighbourhoods contraction on
a hand-built case, and the invariants of the condensed graph on real ACM."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch_geometric.data import HeteroData

from graphcond.hetero.coarsening import (
    CoarseningHGConfig,
    incidence_factor,
    laplacian_apply,
    supernode_labels,
    variation_neighbourhoods,
)
from graphcond.hetero.freehgc import type_budget


def two_communities() -> HeteroData:
    """Papers 0-3 share author 0 and papers 4-7 author 1; one citation 3 -> 4 bridges them."""
    g = HeteroData()
    g["p"].num_nodes, g["a"].num_nodes = 8, 2
    pa = torch.tensor([[0, 1, 2, 3, 4, 5, 6, 7], [0, 0, 0, 0, 1, 1, 1, 1]])
    g["p", "to", "a"].edge_index = pa
    g["a", "to", "p"].edge_index = pa.flip(0)
    g["p", "cite", "p"].edge_index = torch.tensor([[3], [4]])
    g.target = "p"
    return g


def test_factor_gives_the_two_hop_laplacian():
    g = two_communities()
    f = incidence_factor(g, "p")
    w = np.zeros((8, 8))
    w[:4, :4] = w[4:, 4:] = 1.0  # one shared author
    w[3, 4] = w[4, 3] = 1.0  # the citation
    np.fill_diagonal(w, 0.0)
    lap = np.diag(w.sum(1)) - w
    v = np.random.default_rng(0).standard_normal((8, 3))
    np.testing.assert_allclose(laplacian_apply(f)(v), lap @ v, atol=1e-6)
    np.testing.assert_allclose(laplacian_apply(incidence_factor(g, "a"))(v[:2]), 0.0)  # authors share no paper


@pytest.mark.parametrize("candidates", ["neighbourhoods", "edges"])
def test_contraction_follows_the_communities(candidates):
    g = two_communities()
    cfg = CoarseningHGConfig(k=3, candidates=candidates)
    assign = variation_neighbourhoods(incidence_factor(g, "p"), 2, cfg)
    assert sorted(np.unique(assign)) == [0, 1]
    assert len(set(assign[:4])) == 1 and len(set(assign[4:])) == 1 and assign[0] != assign[7]


def test_too_few_levels_for_the_budget_is_an_error_that_says_so():
    f = incidence_factor(two_communities(), "p")
    with pytest.raises(ValueError, match=r"8 nodes to 2: 4 supernodes left after 1 levels .*raise max_levels \(now 1\)"):
        variation_neighbourhoods(f, 2, CoarseningHGConfig(k=3, candidates="edges", max_levels=1))  # pairs: 8 -> 4


def test_supernode_labels_by_training_majority():
    y = torch.tensor([0, 0, 1, 2, 2, 1])
    train = torch.tensor([0, 1, 2, 3])  # nodes 4, 5 unlabelled
    assign = np.array([0, 0, 0, 1, 2, 2])
    labels, has = supernode_labels(y, train, assign, 3)
    assert labels[:2].tolist() == [0, 2] and has.tolist() == [True, True, False]
    multi = torch.tensor([[1, 0], [1, 1], [0, 1], [0, 0]])
    labels, has = supernode_labels(multi, torch.arange(3), np.array([0, 0, 0, 1]), 2)
    assert labels[0].tolist() == [1, 1] and has.tolist() == [True, False]


@pytest.fixture(scope="module")
def acm_coarse(acm):
    import graphcond

    torch.set_num_threads(1)
    return graphcond.condense(acm, "coarsening-hg", rate=0.1, seed=0, progress=False)


@pytest.mark.realdata
def test_acm_budgets_members_and_edges(acm, acm_coarse):
    g = acm_coarse.graph
    assert g["paper"].num_nodes == 72
    for t in acm.node_types:
        n = int(acm[t].num_nodes)
        if t != "paper":
            assert g[t].num_nodes == type_budget(72 / 3025, n)
        members = g[t].member_idx.numpy()
        assert np.array_equal(np.sort(members), np.arange(n))  # a partition of the type
        assert g[t].x.shape[0] == g[t].num_nodes
    ptr, idx = g["paper"].member_ptr, g["paper"].member_idx
    owner = torch.empty(acm["paper"].num_nodes, dtype=torch.long)
    for s in range(72):
        owner[idx[ptr[s]: ptr[s + 1]]] = s
    torch.testing.assert_close(g["paper"].x[5], acm["paper"].x[idx[ptr[5]: ptr[6]]].float().mean(0))
    aptr, aidx = g["author"].member_ptr, g["author"].member_idx
    a_owner = torch.empty(acm["author"].num_nodes, dtype=torch.long)
    for s in range(g["author"].num_nodes):
        a_owner[aidx[aptr[s]: aptr[s + 1]]] = s
    ei = acm["paper", "to", "author"].edge_index
    expected = set(zip(owner[ei[0]].tolist(), a_owner[ei[1]].tolist()))
    got = set(map(tuple, g["paper", "to", "author"].edge_index.t().tolist()))
    assert got == expected  # supernodes linked exactly when some members are
    y, train = acm["paper"].y, acm["paper"].train_mask
    for s in torch.nonzero(g["paper"].train_mask).view(-1)[:10].tolist():
        m = idx[ptr[s]: ptr[s + 1]]
        labelled = y[m[train[m]]]
        assert int(g["paper"].y[s]) == int(torch.bincount(labelled).argmax())


@pytest.mark.realdata
def test_acm_deterministic(acm, acm_coarse):
    import graphcond

    again = graphcond.condense(acm, "coarsening-hg", rate=0.1, seed=0, progress=False).graph
    for t in acm.node_types:
        assert torch.equal(again[t].member_idx, acm_coarse.graph[t].member_idx)
