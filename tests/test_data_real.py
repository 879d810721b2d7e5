"""Counts on the real datasets in ``GRAPHCOND_DATA`` (skipped when it is unset, failing
instead when ``GRAPHCOND_REQUIRE_DATA=1``)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from graphcond.data import load_dataset

pytestmark = pytest.mark.realdata


def _data_dir(subdir: str) -> Path:
    """The real data folder holding ``subdir``, else skip (or fail when data is required)."""
    env = os.environ.get("GRAPHCOND_DATA")
    if env and (Path(env) / subdir).is_dir():
        return Path(env)
    message = f"real data {subdir!r} not found: set GRAPHCOND_DATA to the data folder"
    if os.environ.get("GRAPHCOND_REQUIRE_DATA") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def mutag(tmp_path_factory):
    folder = _data_dir("rdf/mutag")
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
