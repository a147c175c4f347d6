"""Loading: files → :class:`Dataset` (types, descriptions, exclusions, missing values).

:mod:`.load` is the entry (:func:`load`, :func:`load_dataset`); :mod:`.table` reads files,
:mod:`.clean` decides types, :mod:`.variables` reads the analyst's variables file, :mod:`.stream`
and :mod:`.dask` turn big tables into the same :class:`Dataset` in one pass over mergeable
statistics (:mod:`.partial`), :mod:`.knowledge` reads the analyst's background knowledge and
:mod:`.bundled` finds the bundled datasets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import attach

if TYPE_CHECKING:
    from .dataset import Dataset as Dataset
    from .dataset import Moments as Moments
    from .knowledge import Knowledge as Knowledge
    from .knowledge import read_knowledge as read_knowledge
    from .load import load as load
    from .load import load_dataset as load_dataset
    from .table import Dialect as Dialect
    from .variables import read_variables as read_variables
    from .variables import write_variables_template as write_variables_template

__getattr__, __dir__, __all__ = attach(__name__, {
    "Dataset": "dataset",
    "Moments": "dataset",
    "Dialect": "table",
    "Knowledge": "knowledge",
    "read_knowledge": "knowledge",
    "load": "load",
    "load_dataset": "load",
    "read_variables": "variables",
    "write_variables_template": "variables",
})
