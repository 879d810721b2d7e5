"""HGCond: orthogonal parameter sequences, cluster-initialised hyper-nodes on real ACM,
and that its matching step lowers the matching loss for a fixed relay."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from graphcond.budget import budget_for
from graphcond.hetero.freehgc import type_budget
from graphcond.hetero.hgcond import OrthogonalSequence, cluster_assignments


def test_orthogonal_sequence_draws_are_orthonormal_until_exhausted():
    s = OrthogonalSequence(3, 12, torch.Generator().manual_seed(0), scale=1.0)
    draws = [s.next() for _ in range(4)]  # 4 x 3 rows = the whole 12-dim space
    stacked = torch.cat(draws)
    torch.testing.assert_close(stacked @ stacked.T, torch.eye(12), atol=1e-5, rtol=0)
    fresh = s.next()  # space used up: a new basis starts
    assert s.used.shape == (3, 12)
    torch.testing.assert_close(fresh @ fresh.T, torch.eye(3), atol=1e-5, rtol=0)
    scaled = OrthogonalSequence(2, 8, torch.Generator().manual_seed(1)).next()
    torch.testing.assert_close(scaled.norm(dim=1), torch.full((2,), 3 ** -0.5))


@pytest.mark.realdata
def test_acm_cluster_hyper_nodes(acm):
    budget = budget_for(acm, rate=0.1)
    assigns = cluster_assignments(acm, budget, seed=0, iters=20)
    store = acm["paper"]
    a = assigns["paper"]
    train = store.train_mask.numpy()
    assert (a[~train] == -1).all() and (a[train] >= 0).all()
    y = store.y.numpy()
    for c, k in budget.per_class.items():
        clusters = np.unique(a[train & (y == c)])
        assert len(clusters) == k  # the class's budget, one class per hyper-node
        assert set(y[np.isin(a, clusters)]) == {c}
    for t in acm.node_types:
        if t != "paper":
            assert len(np.unique(assigns[t])) == type_budget(budget.ratio, int(acm[t].num_nodes))
            assert (assigns[t] >= 0).all()


@pytest.mark.realdata
def test_acm_matching_lowers_the_loss_for_a_fixed_relay(acm):
    import graphcond

    torch.set_num_threads(1)
    c = graphcond.condense(acm, "hgcond", rate=0.1, seed=0, epochs=1, inner=15, relay_steps=0, lr_feat=0.01,
                           progress=False)
    info, g = c.meta["info"], c.graph
    assert info["match_loss_last"] < 0.8 * info["match_loss_first"]
    assert g["paper"].num_nodes == 72 and bool(g["paper"].train_mask.all())
    counts = torch.bincount(g["paper"].y, minlength=3).tolist()
    assert counts == [budget_for(acm, rate=0.1).per_class[k] for k in range(3)]


@pytest.mark.realdata
@pytest.mark.parametrize("ops", [True, False])
def test_an_interrupted_hgcond_run_resumes_and_ends_as_an_uninterrupted_one(acm, ops, monkeypatch):
    import graphcond
    from graphcond.hetero import hgcond
    from graphcond.methods.run_state import runs_dir

    torch.set_num_threads(1)
    monkeypatch.setattr("graphcond.methods.run_state.SAVE_SECONDS", 0.0)  # save after every outer step
    loop = dict(rate=0.1, seed=0, epochs=4, inner=3, relay_steps=2, lr_feat=0.01, kmeans_iters=10, ops=ops,
                progress=False)
    whole = graphcond.condense(acm, "hgcond", **loop)
    real_sgc, calls = hgcond.hetero_sgc, []

    def interrupted_in_step_2(*args):
        calls.append(1)
        if len(calls) == 25:  # 10 relay calls per outer step: inside outer step 2 (0-based)
            raise KeyboardInterrupt
        return real_sgc(*args)

    monkeypatch.setattr(hgcond, "hetero_sgc", interrupted_in_step_2)
    with pytest.raises(KeyboardInterrupt) as stopped:
        graphcond.condense(acm, "hgcond", **loop)
    assert "resumes from iteration 2" in "".join(stopped.value.__notes__)
    monkeypatch.setattr(hgcond, "hetero_sgc", real_sgc)
    resumed = graphcond.condense(acm, "hgcond", **loop)
    assert resumed.meta["info"]["resumed_from"] == 2 and whole.meta["info"]["resumed_from"] == 0
    for t in acm.node_types:
        assert torch.equal(resumed.graph[t].x, whole.graph[t].x)
    assert resumed.meta["info"]["match_loss_last"] == whole.meta["info"]["match_loss_last"]
    assert not list(runs_dir().glob("*.pt"))
