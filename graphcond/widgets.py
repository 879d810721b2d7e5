"""The interactive explorer: pick dataset, method, ratio, seed and model; condense;
see accuracy against the whole graph and a t-SNE of original vs condensed nodes.

Usable from any notebook with one call, and programmatically (tests set the widget
values and call :meth:`Explorer.run`):

    >>> from graphcond.widgets import Explorer
    >>> panel = Explorer(datasets=["cora"], methods=["random", "kcenter"])   # doctest: +SKIP
    >>> panel.ratio.value = 0.026; panel.run()                                # doctest: +SKIP
    >>> panel.result["condensed"].mean                                        # doctest: +SKIP
"""
from __future__ import annotations

import ipywidgets as w
from IPython.display import display

from . import viz
from .api import condense
from .data import dataset_names, load_dataset
from .evaluate import evaluate
from .methods import method_names
from .models import model_names
from .results import summaries


class Explorer:
    """An ipywidgets panel over ``condense`` / ``evaluate`` (see module docstring)."""

    def __init__(self, datasets=None, methods=None, runs: int = 2, quick: bool = True, epochs: int | None = 200):
        datasets = datasets or dataset_names("homogeneous")
        methods = methods or [m for m in method_names("homogeneous") if m != "whole"]
        self.dataset = w.Dropdown(options=datasets, description="dataset")
        self.method = w.Dropdown(options=methods, description="method")
        self.ratio = w.FloatLogSlider(value=0.026, base=10, min=-3, max=0, step=0.05, description="ratio", readout_format=".3f")
        self.seed = w.IntText(value=0, description="seed")
        self.model = w.Dropdown(options=model_names(), value="gcn", description="model")
        self.button = w.Button(description="Condense & evaluate", button_style="primary")
        self.output = w.Output()
        self.runs, self.quick = runs, quick
        self.train = {"epochs": epochs} if epochs else {}
        self.result: dict = {}
        self.button.on_click(lambda _: self.run())
        self.panel = w.VBox([w.HBox([self.dataset, self.method, self.model]), w.HBox([self.ratio, self.seed, self.button]), self.output])

    def run(self) -> dict:
        """Condense with the current values, evaluate, draw; returns and keeps ``result``."""
        data = load_dataset(self.dataset.value)
        self.output.clear_output()
        with self.output:  # the condensation progress bar renders inside the panel
            c = condense(data, self.method.value, ratio=self.ratio.value, seed=self.seed.value, quick=self.quick,
                         progress=True)
        kw = dict(model=self.model.value, runs=self.runs, seed=self.seed.value, **self.train)
        ours, whole = evaluate(c, data, **kw), evaluate(condense(data, "whole"), data, **kw)
        points = viz.tsne_points(c, data, sample=600, seed=self.seed.value)
        figures = [
            viz.accuracy_bars(summaries([whole, ours]), title=f"{data.name}: {c.meta['counts']['condensed_target_nodes']} nodes"),
            viz.tsne_figure(points, title="t-SNE: original vs condensed nodes"),
        ]
        self.result = {"condensed": ours, "whole": whole, "graph": c, "tsne": points, "figures": figures}
        self.output.clear_output(wait=True)
        with self.output:
            for fig in figures:
                display(fig)
        return self.result

    def _ipython_display_(self):
        display(self.panel)


def explore(**kw) -> Explorer:
    """Show the explorer in the current notebook and return it."""
    panel = Explorer(**kw)
    display(panel.panel)
    return panel
