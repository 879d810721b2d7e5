"""Meta-paths, FreeHGC's scores, and FreeHGC / Random-HG / SeHGNN on real ACM."""
from __future__ import annotations

import os
import statistics

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from torch_geometric.data import HeteroData

from graphcond.budget import class_ids
from graphcond.hetero.freehgc import (FreeHGCConfig, covering_top, greedy_path_scores, jaccard_terms, node_roles,
                                      ppr, type_budget, unlinked_targets)
from graphcond.hetero.metapaths import MetaPathAdjacency, enumerate_metapaths, path_name, relation_matrix
from graphcond.hetero.sehgnn import id_rows


def tiny() -> HeteroData:
    g = HeteroData()
    g["p"].num_nodes, g["a"].num_nodes, g["s"].num_nodes = 3, 3, 2
    pa = torch.tensor([[0, 0, 1, 2], [0, 1, 1, 2]])  # p0-a0, p0-a1, p1-a1, p2-a2
    ps = torch.tensor([[0, 1, 2], [0, 0, 1]])
    g["p", "to", "a"].edge_index = pa
    g["a", "to", "p"].edge_index = pa.flip(0)
    g["p", "to", "s"].edge_index = ps
    g["s", "to", "p"].edge_index = ps.flip(0)
    g.target = "p"
    return g


def test_enumeration_exact():
    paths = enumerate_metapaths(tiny(), "p", 2)
    assert [path_name(p) for p in paths] == ["a-to->p", "s-to->p", "p-to->a-to->p", "p-to->s-to->p"]
    assert [path_name(p) for p in enumerate_metapaths(tiny(), "p", 1)] == ["a-to->p", "s-to->p"]
    assert len(enumerate_metapaths(tiny(), "p", 3)) == 4 + 2 * 2  # a-p-a-p style paths of length 3


def test_row_normalisation_and_products():
    g = tiny()
    m = relation_matrix(torch.tensor([[0, 0, 0], [1, 1, 0]]), 2, 2).toarray()  # duplicate edge counts once
    assert m.tolist() == [[1.0, 0.0], [1.0, 0.0]]
    adj = MetaPathAdjacency(g, "p")
    ap = adj.adjacency((("a", "to", "p"),)).toarray()
    np.testing.assert_allclose(ap, [[0.5, 0.5, 0], [0, 1, 0], [0, 0, 1]])
    pap = adj.adjacency((("p", "to", "a"), ("a", "to", "p")))
    pap = pap.toarray() if sp.issparse(pap) else pap
    np.testing.assert_allclose(pap, [[0.75, 0.25, 0], [0.5, 0.5, 0], [0, 0, 1]])
    np.testing.assert_allclose(pap.sum(1), 1.0)
    rows = MetaPathAdjacency(g, "p", rows=[2, 0]).adjacency((("a", "to", "p"),)).toarray()
    np.testing.assert_allclose(rows, ap[[2, 0]])


def test_receptive_field_and_jaccard_scores():
    b = sp.csr_matrix(np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 0, 1]], dtype=np.float32))
    s = greedy_path_scores(b, np.array([0.0, 0.5, 0.0]), k=2, w=0.05, eps=0.1, mode="both")
    # step 1: gains 2,2,1 over RF 0 -> row 0 (20.05); step 2: RF 2, gains 1,1 -> row 2
    # (1/2.1 + 0.05); row 1 left: final marginal 1/3.1 + 0.05 * 0.5
    np.testing.assert_allclose(s, [20.05, 1 / 3.1 + 0.025, 1 / 2.1 + 0.05])
    only_j = greedy_path_scores(b, np.array([0.0, 0.5, 0.0]), k=2, w=0.05, eps=0.1, mode="jaccard")
    np.testing.assert_allclose(only_j, [0.05, 0.025, 0.05])
    # the authors' aggregation: rows not picked score 0; "rank": Borda count of the picks
    picked = greedy_path_scores(b, np.array([0.0, 0.5, 0.0]), k=2, w=0.05, eps=0.1, mode="both", unpicked="zero")
    np.testing.assert_allclose(picked, [20.05, 0.0, 1 / 2.1 + 0.05])
    rank = greedy_path_scores(b, np.array([0.0, 0.5, 0.0]), k=2, w=0.05, eps=0.1, mode="both", unpicked="rank")
    np.testing.assert_allclose(rank, [1.0, 0.0, 0.5])
    p1, p2, p3 = (("a", "r", "p"),), (("a", "q", "p"),), (("s", "r", "p"),)
    b1 = sp.csr_matrix(np.array([[1, 1, 0, 0], [0, 0, 1, 0]], dtype=np.float32))
    b2 = sp.csr_matrix(np.array([[0, 1, 0, 0], [0, 0, 1, 1]], dtype=np.float32))
    b3 = sp.csr_matrix(np.array([[1, 0], [0, 1]], dtype=np.float32))
    j = jaccard_terms([b1, b2, b3], [p1, p2, p3])
    np.testing.assert_allclose(j[0], [0.5, 0.5])
    np.testing.assert_allclose(j[1], [0.5, 0.5])
    np.testing.assert_allclose(j[2], [0.0, 0.0])  # alone at its start type
    e1 = sp.csr_matrix(np.array([[1, 0], [0, 0]], dtype=np.float32))
    e2 = sp.csr_matrix(np.array([[1, 0], [0, 0]], dtype=np.float32))
    np.testing.assert_allclose(jaccard_terms([e1, e2], [p1, p2])[0], [1.0, 1.0])  # both empty: 1
    np.testing.assert_allclose(jaccard_terms([e1, e2], [p1, p2], empty=0.0)[0], [1.0, 0.0])


def test_roles_from_schema():
    g = HeteroData()
    for t in ("author", "paper", "term", "venue"):
        g[t].num_nodes = 2
    e = torch.tensor([[0], [0]])
    for s, d in (("author", "paper"), ("paper", "term"), ("paper", "venue")):
        g[s, "to", d].edge_index = e
        g[d, "to", s].edge_index = e
    g.target = "author"
    assert node_roles(g) == {"author": "target", "paper": "father", "term": "leaf", "venue": "leaf"}
    assert node_roles(tiny()) == {"p": "target", "a": "leaf", "s": "leaf"}
    assert type_budget(0.024, 5959) == 143 and type_budget(0.01, 56) == 5


def test_father_cover_keeps_a_father_per_target():
    g = HeteroData()
    g["a"].num_nodes, g["f"].num_nodes = 3, 4
    af = torch.tensor([[0, 0, 1, 2], [0, 1, 1, 3]])  # a0-f0, a0-f1, a1-f1, a2-f3
    g["a", "to", "f"].edge_index = af
    g["f", "to", "a"].edge_index = af.flip(0)
    g.target = "a"
    score = np.array([0.5, 0.4, 0.3, 0.1])
    seeds = np.array([0, 2])
    assert covering_top(g, "f", seeds, score, 2).tolist() == [0, 3]  # plain top-2 would be [0, 1]
    assert covering_top(g, "f", seeds, score, 3).tolist() == [0, 1, 3]
    assert covering_top(g, "f", seeds, score, 1).tolist() == [0]  # more targets than budget: best covers
    assert covering_top(g, "f", np.array([1]), score, 2).tolist() == [0, 1]


def test_ppr_matches_the_dense_closed_forms():
    """The PPR forms, exact solve and forward push, equal the dense matrices they stand for
    (unnormalised: the scores of several meta-paths are summed)."""
    rng = np.random.default_rng(0)
    adj = sp.csr_matrix((rng.random((6, 9)) < 0.35).astype(float))
    adj[5, 8] = 1.0  # no isolated target
    seeds, alpha = np.array([0, 3, 5]), 0.05
    b = np.block([[np.zeros((6, 6)), adj.toarray()], [adj.toarray().T, np.zeros((9, 9))]])
    a_hat = b + np.eye(15)  # the authors' HGB code: symmetric normalisation with self loops
    d = a_hat.sum(0) ** -0.5
    sym = alpha * np.linalg.inv(np.eye(15) - (1 - alpha) * d[:, None] * a_hat * d[None, :])
    deg = b.sum(0)
    d0 = deg ** -0.5  # the authors' Freebase code (PPRGo's 'sym'): no self loops
    pprgo = alpha * np.linalg.inv(np.eye(15) - (1 - alpha) * d0[:, None] * b * d0[None, :])
    want = {"sym": sym[seeds].sum(0)[6:], "pprgo": pprgo[seeds].sum(0)[6:]}
    s = np.zeros(15)
    s[seeds] = 1 / 3
    rw = alpha * np.linalg.solve(np.eye(15) - (1 - alpha) * b / np.where(deg > 0, deg, 1)[None, :], s)
    want["rw"] = rw[6:]
    for norm, w in want.items():
        for closed_form_max in (100, 0):  # exact solve, then push
            np.testing.assert_allclose(ppr(adj, seeds, alpha, closed_form_max, 1e-12, norm), w, rtol=1e-6)
    with pytest.raises(ValueError, match="ppr_norm"):
        FreeHGCConfig(ppr_norm="sum")


# ----------------------------------------------------------------- real ACM
needs_data = pytest.mark.skipif(not os.environ.get("GRAPHCOND_DATA"), reason="GRAPHCOND_DATA not set")


@pytest.fixture(scope="module")
def acm():
    import graphcond

    torch.set_num_threads(1)
    return graphcond.load_dataset("acm")


@pytest.fixture(scope="module")
def acm_freehgc(acm):
    import graphcond

    return graphcond.condense(acm, "freehgc", rate=0.1, seed=0, progress=False)


@pytest.mark.realdata
@needs_data
def test_acm_budgets(acm, acm_freehgc):
    g, meta = acm_freehgc.graph, acm_freehgc.meta
    per_class = {int(k): v for k, v in meta["budget"]["per_class"].items()}
    assert g["paper"].num_nodes == 72 == sum(per_class.values())
    src = g["paper"].source_nodes
    assert bool(acm["paper"].train_mask[src].all()) and src.unique().numel() == 72
    assert torch.equal(g["paper"].y, acm["paper"].y[src]) and bool(g["paper"].train_mask.all())
    ids, counts = class_ids(g["paper"].y).unique(return_counts=True)
    assert dict(zip(ids.tolist(), counts.tolist())) == per_class
    # PPR for every type: each other type keeps exactly its budget int(r * N) (10% if 0)
    import graphcond

    ppr = graphcond.condense(acm, "freehgc", rate=0.1, seed=0, other_types="ppr", hops=2, progress=False).graph
    for t in ("author", "subject", "term"):
        assert ppr[t].num_nodes == type_budget(72 / 3025, acm[t].num_nodes)


@pytest.mark.realdata
@needs_data
def test_acm_storage_is_a_small_share_of_the_whole_graph(acm, acm_freehgc):
    import graphcond

    whole = graphcond.condense(acm, "whole", progress=False).meta["storage_mb"]
    # the whole graph is dominated by the paper and author features: (3025 + 5959) x 1902 float32
    assert (3025 + 5959) * 1902 * 4 / 2**20 < whole < 80
    share = acm_freehgc.meta["storage_mb"] / whole  # 2.5% measured; the paper's Table VII 2.4%
    assert 0.01 < share < 0.04


@pytest.mark.realdata
@needs_data
def test_acm_hyper_nodes_and_reverse_edges(acm, acm_freehgc):
    g = acm_freehgc.graph
    kept = g["paper"].source_nodes.tolist()
    for leaf in ("author", "subject", "term"):
        fwd = acm["paper", "to", leaf].edge_index
        ptr, idx = g[leaf].member_ptr, g[leaf].member_idx
        members = [frozenset(idx[ptr[h]:ptr[h + 1]].tolist()) for h in range(g[leaf].num_nodes)]
        assert len(set(members)) == len(members)  # one hyper-node per distinct set
        out_e = {tuple(e) for e in g["paper", "to", leaf].edge_index.t().tolist()}  # paper -> hyper
        back_e = {tuple(e) for e in g[leaf, "to", "paper"].edge_index.t().tolist()}  # hyper -> paper
        assert {(u, h) for h, u in back_e} <= out_e  # reverse edges include the own links
        wanted, own = set(), {}
        for u, orig in enumerate(kept):
            nb = frozenset(fwd[1, fwd[0] == orig].tolist())
            if nb:
                wanted.add(nb)
                own[u] = members.index(nb)
        assert set(members) == wanted
        # a kept paper aggregates exactly its own hyper-node (exact 1-hop mean) ...
        assert back_e == {(h, u) for u, h in own.items()}
        # ... and each hyper-node aggregates every kept paper sharing a leaf with its set
        nbs = {u: set(fwd[1, fwd[0] == orig].tolist()) for u, orig in enumerate(kept)}
        expect = {(u, h) for u in nbs for h in range(len(members)) if nbs[u] & members[h]}
        assert out_e == expect
        if "x" in acm[leaf]:
            h0 = sorted(members[0])
            torch.testing.assert_close(g[leaf].x[0], acm[leaf].x[h0].float().mean(0))
        else:  # featureless: mean of one-hot rows
            assert g[leaf].x.shape[1] == acm[leaf].num_nodes
            torch.testing.assert_close(g[leaf].x.sum(1), torch.ones(g[leaf].num_nodes))


@pytest.mark.realdata
@needs_data
def test_acm_id_rows_are_original_rows_and_member_means(acm, acm_freehgc):
    g = acm_freehgc.graph
    papers = id_rows(g, "paper", acm)
    assert papers.shape == (g["paper"].num_nodes, acm["paper"].num_nodes)
    assert papers.indices.tolist() == g["paper"].source_nodes.tolist() and set(papers.data) == {1.0}
    np.testing.assert_allclose(id_rows(g, "term", acm).toarray(), g["term"].x.numpy())  # featureless: x is the mean
    authors, ptr, idx = id_rows(g, "author", acm), g["author"].member_ptr, g["author"].member_idx
    for h in (0, g["author"].num_nodes - 1):
        row = authors.getrow(h)
        assert sorted(row.indices.tolist()) == sorted(idx[ptr[h]:ptr[h + 1]].tolist())
        np.testing.assert_allclose(row.data.sum(), 1.0, rtol=1e-6)


@pytest.mark.realdata
@needs_data
def test_acm_hyper_edges_by_members_restore_each_papers_in_degree(acm, acm_freehgc, monkeypatch):
    from graphcond.hetero import message_passing

    g, kept = acm_freehgc.graph, acm_freehgc.graph["paper"].source_nodes
    monkeypatch.setitem(message_passing.SETTINGS, "hyper_edges", "members")
    repeated = message_passing.edge_dict(g, acm)
    for leaf in ("author", "subject", "term"):
        rel = (leaf, "to", "paper")
        into = torch.bincount(repeated[rel][1], minlength=g["paper"].num_nodes)
        whole = torch.bincount(acm[rel].edge_index[1], minlength=acm["paper"].num_nodes)[kept]
        assert torch.equal(into, whole)  # a kept paper hears from as many leaf nodes as in the original graph
    assert torch.equal(repeated[("paper", "link", "paper")], g["paper", "link", "paper"].edge_index)  # kept-kept: as is
    monkeypatch.setitem(message_passing.SETTINGS, "hyper_edges", "single")
    assert torch.equal(message_passing.edge_dict(g, acm)[("term", "to", "paper")], g["term", "to", "paper"].edge_index)
    monkeypatch.setitem(message_passing.SETTINGS, "hyper_edges", "twice")
    with pytest.raises(ValueError, match="hyper_edges"):
        message_passing.edge_dict(g, acm)


@pytest.mark.realdata
@needs_data
def test_acm_hyper_edges_by_members_leave_a_graph_without_hyper_nodes_as_is(acm, monkeypatch):
    import graphcond
    from graphcond.hetero import message_passing

    g = graphcond.condense(acm, "random-hg", rate=0.1, seed=0, progress=False).graph  # kept nodes only
    as_built = message_passing.edge_dict(g, acm)
    monkeypatch.setitem(message_passing.SETTINGS, "hyper_edges", "members")
    repeated = message_passing.edge_dict(g, acm)
    assert all(torch.equal(as_built[e], repeated[e]) for e in acm.edge_types)
    assert sum(v.shape[1] for v in repeated.values()) > 0


@pytest.mark.realdata
@needs_data
def test_acm_deterministic(acm, acm_freehgc):
    import graphcond

    again = graphcond.condense(acm, "freehgc", rate=0.1, seed=0, progress=False).graph
    a = acm_freehgc.graph
    for t in a.node_types:
        for k, v in a[t].items():
            assert torch.equal(v, again[t][k]) if isinstance(v, torch.Tensor) else v == again[t][k]
    for e in a.edge_types:
        assert torch.equal(a[e].edge_index, again[e].edge_index)
    r1 = graphcond.condense(acm, "random-hg", rate=0.1, seed=3, progress=False).graph
    r2 = graphcond.condense(acm, "random-hg", rate=0.1, seed=3, progress=False).graph
    assert torch.equal(r1["paper"].source_nodes, r2["paper"].source_nodes)
    # the authors' baseline rule (default): int(r * N) random nodes of every other type, induced edges
    from graphcond.hetero.freehgc import type_budget

    ratio = 72 / acm["paper"].num_nodes
    for t in ("author", "subject", "term"):
        assert r1[t].num_nodes == type_budget(ratio, int(acm[t].num_nodes))
        assert torch.equal(r1[t].source_nodes, r2[t].source_nodes)


@pytest.mark.realdata
@pytest.mark.slow
@needs_data
def test_acm_freehgc_trains_sehgnn_near_the_whole_graph_and_beats_random_hg(acm, acm_freehgc):
    """ACM 2.4% (rate 0.1, 72 of 3025 papers), SeHGNN (3-hop meta-paths, the authors'
    ACM setting) 500 epochs / patience 50, model seeds 0-1: micro-F1 above 0.86
    (benchmark, 5 seeds: 88.7 +- 1.2; whole graph 94.0), and above Random-HG as the
    FreeHGC authors build it (random other types; benchmark, 3 seeds: 78.4 +- 6.7),
    here condensation seeds 0-1, one model run each. Random targets with FreeHGC's own
    other types (``others="freehgc"``) reach 89.3 +- 1.0: the gain is in the other types."""
    import graphcond

    res = graphcond.evaluate([acm_freehgc], acm, model="sehgnn", runs=2)
    assert res.metric == "micro-f1"
    freehgc = statistics.fmean(res.values)
    assert freehgc > 0.86
    rand = [graphcond.condense(acm, "random-hg", rate=0.1, seed=s, progress=False) for s in (0, 1)]
    random_hg = statistics.fmean(graphcond.evaluate(rand, acm, model="sehgnn", runs=1).values)
    assert freehgc > random_hg + 0.02, (freehgc, random_hg)


@pytest.mark.realdata
@needs_data
@pytest.mark.parametrize("method", ["herding-hg", "kcenter-hg"])
def test_acm_embedding_coresets(acm, method):
    """Herding-HG / K-Center-HG: per-class budgets among training papers, chosen on
    whole-graph SeHGNN embeddings (a short model here), leaves as FreeHGC's hyper-nodes
    with ``others="freehgc"``."""
    import graphcond

    c = graphcond.condense(acm, method, rate=0.1, seed=0, epochs=30, progress=False, others="freehgc")
    g, per_class = c.graph, {int(k): v for k, v in c.meta["budget"]["per_class"].items()}
    src = g["paper"].source_nodes
    assert g["paper"].num_nodes == 72 and src.unique().numel() == 72
    assert bool(acm["paper"].train_mask[src].all())
    ids, counts = class_ids(g["paper"].y).unique(return_counts=True)
    assert dict(zip(ids.tolist(), counts.tolist())) == per_class
    assert int(g["term"].num_nodes) <= 72 and g["term"].x.shape[1] == acm["term"].num_nodes


@pytest.mark.realdata
@needs_data
def test_acm_selection_table_and_coverage_explain_the_selection(acm, acm_freehgc):
    from graphcond.budget import budget_for
    from graphcond.hetero.freehgc import FreeHGCConfig, coverage, selection_table

    paths = enumerate_metapaths(acm, "paper", 3)
    table = selection_table(acm, budget_for(acm, rate=0.1), paths, FreeHGCConfig(hops=3))
    names = [path_name(p) for p in paths]
    assert np.allclose(table[names].sum(axis=1), table["total"])
    # the table's selection is the condensed graph's (same scores, same tie order)
    chosen = set(table.loc[table["selected"], "node"])
    assert chosen == set(acm_freehgc.graph["paper"].source_nodes.tolist())
    assert int(table["selected"].sum()) == 72 and len(table) == int(acm["paper"].train_mask.sum())
    train = acm["paper"].train_mask.nonzero().view(-1)
    assert all(v == 1.0 for v in coverage(acm, train, paths).values())
    picked = coverage(acm, torch.tensor(sorted(chosen)), paths)
    assert all(0 < v <= 1 for v in picked.values())
    # the receptive-field term reaches more of the graph than random picks of the same
    # size: summed over the 30 paths, above each of 5 random draws (measured: 22.6
    # against 21.1 +- 0.2; on paper-link->paper 0.30 against 0.18 +- 0.01)
    gen = torch.Generator().manual_seed(0)
    draws = [coverage(acm, train[torch.randperm(train.numel(), generator=gen)[:72]].sort().values, paths)
             for _ in range(5)]
    assert sum(picked.values()) > max(sum(d.values()) for d in draws)


@needs_data
def test_dblp_father_cover_leaves_no_author_without_a_paper(dblp):
    """The authors' PPR fathers leave some picked authors with no kept paper (24 of 48 at
    rate 0.05); ``father_cover`` keeps one per author within the same paper budget."""
    import graphcond

    plain = graphcond.condense(dblp, "freehgc", rate=0.05, seed=0, progress=False).graph
    cover = graphcond.condense(dblp, "freehgc", rate=0.05, seed=0, progress=False, father_cover=True).graph
    assert cover["paper"].num_nodes == plain["paper"].num_nodes == type_budget(48 / 4057, 14328)
    assert cover["author"].source_nodes.equal(plain["author"].source_nodes)
    assert unlinked_targets(plain, "paper") > 10 and unlinked_targets(cover, "paper") == 0
