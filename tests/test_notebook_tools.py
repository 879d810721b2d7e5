"""The widget explorer and the papermill grid runner, driven programmatically."""
from __future__ import annotations

import pandas as pd
import pytest
from conftest import real_data_dir

from graphcond.cli import main
from graphcond.widgets import Explorer

pytestmark = pytest.mark.realdata


def test_explorer_runs_from_widget_values(cora):
    real_data_dir("planetoid/cora")
    panel = Explorer(datasets=["cora"], methods=["random", "kcenter"], runs=1, epochs=100)
    panel.method.value, panel.ratio.value, panel.seed.value = "random", 0.026, 3
    res = panel.button.click() or panel.result
    assert res["graph"].meta["method"] == "random" and res["graph"].meta["seed"] == 3
    assert res["graph"].meta["counts"]["condensed_target_nodes"] == 70
    assert res["whole"].mean > 0.75 and 0.4 < res["condensed"].mean < res["whole"].mean + 0.05
    tsne = res["tsne"]
    assert (tsne["kind"] == "condensed").sum() == 70 and len(tsne) == 670
    bars, scatter = res["figures"]
    assert list(bars.data[0].y) == pytest.approx([100 * res["whole"].mean, 100 * res["condensed"].mean])
    assert sum(len(t.x) for t in scatter.data) == 670


def test_grid_runner_2x2_skips_finished_and_reports_failures(tmp_path, capsys):
    real_data_dir("planetoid/cora")
    argv = ["notebooks", "run", "--notebook", "01_quickstart", "--out", str(tmp_path), "--no-progress",
            "--grid", "dataset=cora,nosuch", "--grid", "ratio=0.026,0.052", "--grid", 'methods=["random"]']
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "executed 2, skipped 0 (already finished), failed 2" in out and "FAILED 01_quickstart/dataset=nosuch" in out
    results = pd.read_csv(tmp_path / "results.csv")
    assert set(results["run"].str.extract(r"ratio=([\d.]+)")[0]) == {"0.026", "0.052"}
    assert set(results["method"]) == {"whole", "random"} and results["mean"].between(0.3, 1).all()
    for ratio in ("0.026", "0.052"):
        stem = f"dataset=cora,ratio={ratio},methods=random,quick=True"
        assert all((tmp_path / "01_quickstart" / f"{stem}.{ext}").is_file() for ext in ("ipynb", "html", "csv"))
    assert main(argv) == 1
    assert "executed 0, skipped 2 (already finished), failed 2" in capsys.readouterr().out
