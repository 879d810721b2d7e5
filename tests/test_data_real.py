"""Counts on the real datasets in ``GRAPHCOND_DATA`` (skipped when it is unset, failing
instead when ``GRAPHCOND_REQUIRE_DATA=1``)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
import torch
from conftest import real_data_dir
from torch_geometric.utils import to_undirected

from graphcond.data import load_dataset
from graphcond.data.multimodal import modality_slices

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def mutag(tmp_path_factory):
    folder = real_data_dir("rdf/mutag")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GRAPHCOND_CACHE", str(tmp_path_factory.mktemp("cache")))
        return load_dataset("mutag", data_dir=folder)


def test_mutag_counts(mutag):
    # FreeHGC/DGL: 27,163 nodes, 7 types, 148,100 edges, 46 edge types, 2 classes; the
    # node gap is DGL counting each of the 3,526 structures twice (see graphcond/data/rdf.py)
    sizes = {t: mutag[t].num_nodes for t in mutag.node_types}
    assert sizes == {"d": 340, "atom": 9189, "bond": 9317, "structure": 3526,
                     "class": 142, "property": 19, "literal": 1104}
    assert mutag.num_nodes == 23637 == 27163 - 3526
    assert mutag.num_edges == 148100
    assert len({rel for _, rel, _ in mutag.edge_types}) == 46
    assert len(mutag.edge_types) == 52
    assert mutag.target == "d" and mutag.num_classes == 2 and not mutag.multilabel
    assert all(mutag[t].num_features == 0 for t in mutag.node_types)


def test_mutag_split(mutag):
    d = mutag["d"]
    train, val, test = (int(d[m].sum()) for m in ("train_mask", "val_mask", "test_mask"))
    assert (train + val, val, test) == (272, 54, 68)  # validation = 20% of the 272 rows
    assert not (d.train_mask & d.val_mask).any()
    assert not ((d.train_mask | d.val_mask) & d.test_mask).any()
    assert int((d.y >= 0).sum()) == 340 and set(d.y.tolist()) == {0, 1}


def _counts(g):
    return g.num_nodes, g.num_edges, g.num_classes


def test_cora_counts(cora):
    assert _counts(cora) == (2708, 10556, 7)
    assert cora.num_features == 1433
    assert [int(cora[m].sum()) for m in ("train_mask", "val_mask", "test_mask")] == [140, 500, 1000]


def test_citeseer_counts(citeseer):
    assert _counts(citeseer) == (3327, 9104, 6)  # 4552 undirected edges
    assert citeseer.num_features == 3703
    assert [int(citeseer[m].sum()) for m in ("train_mask", "val_mask", "test_mask")] == [120, 500, 1000]


@pytest.mark.parametrize(
    "name, nodes, edges, types, target, classes, labelled, test",
    [
        # ACM: HGB's 547,872 links with cite/ref merged into one symmetric relation with self-loops
        ("acm", 10942, 550831, {"paper": 3025, "author": 5959, "subject": 56, "term": 1902}, "paper", 3, 907, 2118),
        ("dblp", 26128, 239566, {"author": 4057, "paper": 14328, "term": 7723, "venue": 20}, "author", 4, 1217, 2840),
        ("imdb", 21420, 86642, {"movie": 4932, "director": 2393, "actor": 6124, "keyword": 7971}, "movie", 5, 1371, 3202),
    ],
)
def test_hgb_counts(request, name, nodes, edges, types, target, classes, labelled, test):
    g = request.getfixturevalue(name)
    assert (g.num_nodes, g.num_edges, g.num_classes, g.target) == (nodes, edges, classes, target)
    assert {t: g[t].num_nodes for t in g.node_types} == types
    s = g[target]
    n_train, n_val = int(s.train_mask.sum()), int(s.val_mask.sum())
    assert n_train + n_val == labelled and n_val == round(0.2 * labelled)
    assert int(s.test_mask.sum()) == test
    assert not (s.train_mask & s.val_mask).any() and not (s.val_mask & s.test_mask).any()
    assert g.multilabel == (name == "imdb")


def test_acm_paper_links_merge_cite_and_ref_with_self_loops(acm):
    hgb = load_dataset("acm", data_dir=real_data_dir("hgb/ACM.zip"), paper_links="hgb")
    assert hgb.num_edges == 547872 and ("paper", "link", "paper") not in hgb.edge_types
    n = hgb["paper"].num_nodes
    expected = {(i, i) for i in range(n)}
    for rel in ("cite", "ref"):
        a, b = hgb["paper", rel, "paper"].edge_index.tolist()
        expected |= set(zip(a, b)) | set(zip(b, a))
    merged = acm["paper", "link", "paper"].edge_index
    got = list(zip(*merged.tolist()))
    assert len(got) == len(set(got)) and set(got) == expected
    assert set(acm.edge_types) == set(hgb.edge_types) - {("paper", "cite", "paper"), ("paper", "ref", "paper")} | {
        ("paper", "link", "paper")}
    assert acm["paper", "to", "author"].edge_index.equal(hgb["paper", "to", "author"].edge_index)
    with pytest.raises(ValueError, match="paper_links"):
        load_dataset("acm", data_dir=real_data_dir("hgb/ACM.zip"), paper_links="both")


def test_hgb_split_seed_changes_validation_only(acm):
    other = load_dataset("acm", data_dir=real_data_dir("hgb/ACM.zip"), split_seed=1)
    a, b = acm["paper"], other["paper"]
    assert (a.train_mask | a.val_mask).equal(b.train_mask | b.val_mask)
    assert not a.val_mask.equal(b.val_mask)
    assert a.test_mask.equal(b.test_mask)


def test_dblp_2view_views_edges_and_split(dblp):
    g = load_dataset("dblp-2view", data_dir=real_data_dir("hgb/DBLP.zip"), normalize_views=False, view_dim=None)
    assert g.num_nodes == 4057
    assert modality_slices(g) == {"keywords": (0, 334), "papers": (334, 4565)}
    assert g.x[:, :334].equal(dblp["author"].x)
    # the second view of one author, by hand: the mean of its papers' term vectors
    a, p = dblp["author", "to", "paper"].edge_index
    shared_paper = int(p[torch.bincount(p).gather(0, p) > 1][0])  # a paper with two or more authors
    author = int(a[p == shared_paper][0])
    papers = p[a == author]
    assert torch.allclose(g.x[author, 334:], dblp["paper"].x[papers].mean(0))
    # co-authorship: symmetric, no self-loops, and the pair (author, co-author) is present
    ei = g.edge_index
    assert (ei[0] != ei[1]).all()
    assert to_undirected(ei, num_nodes=g.num_nodes).size(1) == ei.size(1)
    co = a[(p == shared_paper) & (a != author)]
    assert ((ei[0] == author) & (ei[1] == co[0])).any()
    for mask in ("train_mask", "val_mask", "test_mask"):
        assert g[mask].equal(dblp["author"][mask])
    normed = load_dataset("dblp-2view", data_dir=real_data_dir("hgb/DBLP.zip"), view_dim=None)
    sums = normed.x[:, 334:].sum(1)
    assert torch.allclose(sums[sums > 0], torch.ones(int((sums > 0).sum())))
    shared = load_dataset("dblp-2view", data_dir=real_data_dir("hgb/DBLP.zip"))  # default: 64 + 64, aligned
    assert modality_slices(shared) == {"keywords": (0, 64), "papers": (64, 128)}
    assert shared.edge_index.equal(ei)


def test_shared_space_recovers_a_rotation():
    from graphcond.data.two_view import shared_space

    a = torch.randn(200, 5) @ torch.diag(torch.tensor([5.0, 4, 3, 2, 1]))
    q, _ = torch.linalg.qr(torch.randn(5, 5))
    za, zb = shared_space(a, a @ q, dim=5)
    assert torch.allclose(za, zb, atol=1e-3)


def test_parallel_jobs_stage_one_dataset_safely(tmp_path):
    """Jobs started together (a benchmark queue, a papermill batch) on one cache whose
    links are stale (the data folder moved) and whose processed files are gone: each job
    stages and reads the graph without tripping over the others."""
    folder = real_data_dir("planetoid/cora")
    env = dict(os.environ, GRAPHCOND_CACHE=str(tmp_path / "cache"), OMP_NUM_THREADS="1")
    code = ("from graphcond import load_dataset; "
            f"print(load_dataset('cora', data_dir={str(folder)!r}).num_nodes)")
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)
    links = [p for p in (tmp_path / "cache").rglob("*") if p.is_symlink()]
    assert len(links) == 8
    for p in links:
        p.unlink()
        p.symlink_to(tmp_path / "moved" / p.name)
    for p in (tmp_path / "cache").rglob("processed"):
        shutil.rmtree(p)
    jobs = [subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for _ in range(4)]
    outs = [j.communicate() for j in jobs]
    assert [j.returncode for j in jobs] == [0] * 4, [err[-400:] for _, err in outs]
    assert [out.strip() for out, _ in outs] == ["2708"] * 4
