"""graphcond: a workbench for graph condensation on PyTorch Geometric.

Three verbs carry the system:

    >>> from graphcond import load_dataset, condense, evaluate
    >>> cora = load_dataset("cora")                                # doctest: +SKIP
    >>> small = condense(cora, method="kcenter", ratio=0.026)      # doctest: +SKIP
    >>> evaluate(small, cora, model="gcn", runs=5)                 # doctest: +SKIP
"""
__version__ = "0.1.0"

from .api import CondensationError, condense  # noqa: E402
from .condensed import Condensed, load_condensed  # noqa: E402
from .data import dataset_names, load_dataset  # noqa: E402
from .evaluate import evaluate  # noqa: E402
from .methods import method_names  # noqa: E402

__all__ = [
    "CondensationError",
    "Condensed",
    "condense",
    "dataset_names",
    "evaluate",
    "load_condensed",
    "load_dataset",
    "method_names",
]
