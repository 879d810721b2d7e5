"""Shared fixtures: the real data folder (``GRAPHCOND_DATA``) and loaded datasets.

Real-data tests are skipped when ``GRAPHCOND_DATA`` is unset, and fail instead when
``GRAPHCOND_REQUIRE_DATA=1`` (as in ``.ci/run``).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

torch.set_num_threads(min(2, torch.get_num_threads()))


@pytest.fixture(autouse=True)
def _run_states_in_the_tests_folder(tmp_path, monkeypatch):
    """Interrupted-run states (:mod:`graphcond.methods.run_state`) go to the test's own
    folder, never to the user's cache, so no test resumes another's run."""
    monkeypatch.setattr("graphcond.methods.run_state.runs_dir", lambda: tmp_path / "runs")


def real_data_dir(subdir: str) -> Path:
    """The real data folder holding ``subdir``, else skip (or fail when data is required)."""
    env = os.environ.get("GRAPHCOND_DATA")
    if env and (Path(env) / subdir).exists():
        return Path(env)
    message = f"real data {subdir!r} not found: set GRAPHCOND_DATA to the data folder"
    if os.environ.get("GRAPHCOND_REQUIRE_DATA") == "1":
        pytest.fail(message)
    pytest.skip(message)


def _load(name: str, subdir: str):
    from graphcond import load_dataset

    return load_dataset(name, data_dir=real_data_dir(subdir))


@pytest.fixture(scope="session")
def cora():
    return _load("cora", "planetoid/cora")


@pytest.fixture(scope="session")
def citeseer():
    return _load("citeseer", "planetoid/citeseer")


@pytest.fixture(scope="session")
def acm():
    return _load("acm", "hgb/ACM.zip")


@pytest.fixture(scope="session")
def dblp():
    return _load("dblp", "hgb/DBLP.zip")


@pytest.fixture(scope="session")
def imdb():
    return _load("imdb", "hgb/IMDB.zip")
