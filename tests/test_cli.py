"""Bad input is refused before any long work, with a one-line reason and exit code 2."""
from __future__ import annotations

import json
import shutil

import pytest
from conftest import real_data_dir

from graphcond.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--dataset", "corax", "--method", "random", "--rate", "0.5"], "unknown dataset 'corax'; known: acm"),
        (["--dataset", "cora", "--method", "gcondd", "--rate", "0.5"], "unknown method 'gcondd'; known:"),
        (["--dataset", "cora", "--method", "random", "--ratio", "1.5"], "ratio must be in (0, 1]"),
        (["--dataset", "cora", "--method", "random", "--rate", "0"], "rate must be in (0, 1]"),
        (["--dataset", "cora", "--method", "random", "--rate", "0.5", "--ratio", "0.1"], "exactly one of"),
        (["--dataset", "cora", "--method", "random"], "exactly one of"),
    ],
)
def test_bad_arguments_refused(capsys, tmp_path, argv, message):
    code, _, err = run(capsys, "condense", *argv, "--out", str(tmp_path / "x.pt"), "--data-dir", str(tmp_path))
    assert code == 2 and message in err and err.count("\n") == 1
    assert not (tmp_path / "x.pt").exists()


def test_missing_files_named(capsys, tmp_path):
    code, _, err = run(capsys, "condense", "--dataset", "cora", "--method", "random", "--rate", "0.5",
                       "--out", str(tmp_path / "x.pt"), "--data-dir", str(tmp_path))
    assert code == 2 and str(tmp_path / "planetoid" / "cora" / "ind.cora.x") in err


def test_corrupt_file_named(capsys, tmp_path, monkeypatch):
    src = real_data_dir("planetoid/cora") / "planetoid" / "cora"
    dst = tmp_path / "planetoid" / "cora"
    shutil.copytree(src, dst)
    (dst / "ind.cora.graph").chmod(0o644)
    (dst / "ind.cora.graph").write_bytes(b"not a pickle")
    monkeypatch.setenv("GRAPHCOND_CACHE", str(tmp_path / "cache"))
    code, _, err = run(capsys, "condense", "--dataset", "cora", "--method", "random", "--rate", "0.5",
                       "--out", str(tmp_path / "x.pt"), "--data-dir", str(tmp_path))
    assert code == 2 and "ind.cora.graph" in err and "cannot read" in err


def test_budget_leaving_class_empty_refused(capsys, tmp_path):
    data = real_data_dir("planetoid/cora")
    code, _, err = run(capsys, "condense", "--dataset", "cora", "--method", "random", "--ratio", "0.001",
                       "--out", str(tmp_path / "x.pt"), "--data-dir", str(data))
    assert code == 2 and "cannot give each of the 7 classes a node" in err


def test_condense_evaluate_roundtrip_and_wrong_dataset(capsys, tmp_path, monkeypatch):
    data = str(real_data_dir("planetoid/cora"))
    out = tmp_path / "cora.pt"
    code, text, _ = run(capsys, "condense", "--dataset", "cora", "--method", "random", "--rate", "0.5",
                        "--seed", "3", "--out", str(out), "--data-dir", data, "--no-progress")
    assert code == 0 and "70 of 2708" in text
    meta = json.loads((tmp_path / "cora.pt.json").read_text())
    assert (meta["method"], meta["seed"], meta["counts"]["condensed_target_nodes"]) == ("random", 3, 70)
    code, text, _ = run(capsys, "evaluate", str(out), "--runs", "2", "--json", "--set", "epochs=100", "--data-dir", data)
    res = json.loads(text)
    assert code == 0 and res["runs"] == 2 and res["metric"] == "accuracy" and 0.55 < res["mean"] <= 1
    import importlib

    protocol = importlib.import_module("graphcond.evaluate")  # the module; graphcond.evaluate is the function
    seen, real_evaluate = [], protocol.evaluate
    monkeypatch.setattr(protocol, "evaluate", lambda *a, **kw: seen.append(kw) or real_evaluate(*a, **kw))
    code, text, _ = run(capsys, "evaluate", str(out), "--runs", "1", "--json", "--authors-settings", "--set", "epochs=100",
                        "--data-dir", data)
    assert code == 0 and {k: seen[0][k] for k in ("lr", "weight_decay", "dropout", "epochs")} == {
        "lr": 0.001, "weight_decay": 0.001, "dropout": 0.0, "epochs": 100}  # GEOM's Cora rate-0.5 settings, epochs set

    meta["dataset"] = "citeseer"  # a file claiming another dataset
    import torch

    blob = torch.load(out, weights_only=True)
    blob["meta"] = json.dumps(meta)
    torch.save(blob, out)
    code, _, err = run(capsys, "evaluate", str(out), "--data-dir", data)
    assert code == 2 and "made from dataset 'citeseer'" in err


def test_unknown_setting_refused(capsys, tmp_path):
    data = str(real_data_dir("planetoid/cora"))
    code, _, err = run(capsys, "condense", "--dataset", "cora", "--method", "herding", "--rate", "0.5",
                       "--set", "epochz=3", "--out", str(tmp_path / "x.pt"), "--data-dir", data)
    assert code == 2 and "no setting(s) ['epochz']" in err


def test_interrupted_condense_says_where_the_rerun_resumes_and_the_rerun_does(capsys, tmp_path, monkeypatch):
    from graphcond.methods.gradient import GradientMatching

    monkeypatch.setattr("graphcond.methods.run_state.SAVE_SECONDS", 0.0)
    real_loss, calls = GradientMatching.matching_loss, []

    def interrupted_in_epoch_3(self, *args):
        calls.append(1)
        if len(calls) == 7:  # outer_loop 2: the first step of epoch 3 (0-based)
            raise KeyboardInterrupt
        return real_loss(self, *args)

    monkeypatch.setattr(GradientMatching, "matching_loss", interrupted_in_epoch_3)
    out = tmp_path / "g.pt"
    argv = ["condense", "--dataset", "mm-csbm", "--option", "num_nodes=400", "--option", "num_val=100",
            "--option", "num_test=100", "--method", "gcond", "--rate", "0.5", "--quick", "--set", "epochs=5",
            "--set", "outer_loop=2", "--out", str(out), "--no-progress"]
    code, _, err = run(capsys, *argv)
    assert code == 130 and "gcond: interrupted; the same call resumes from iteration 3" in err and not out.exists()
    monkeypatch.setattr(GradientMatching, "matching_loss", real_loss)
    code, _, _ = run(capsys, *argv)
    assert code == 0 and json.loads((tmp_path / "g.pt.json").read_text())["info"]["resumed_from"] == 3
