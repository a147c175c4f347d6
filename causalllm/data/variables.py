"""The analyst's variables file (descriptions and declared types) and the template ``init`` writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from ..contract import csv_text, unneutralise
from ..errors import ConfigError, DataError
from .clean import infer_types
from .table import read_table

__all__ = ["DECLARED_TYPES", "parse_mapping", "read_types", "read_variables", "read_variables_file",
           "variables_template", "write_variables_template"]


def parse_mapping(text: str, suffix: str) -> Any:
    """Parse JSON (``.json``) or YAML (anything else); ValueError with the parser's first line."""
    import yaml

    try:
        if suffix.lower() == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as e:  # json's JSONDecodeError is a ValueError
        raise ValueError(str(e).splitlines()[0] if str(e) else e.__class__.__name__) from None


def read_variables(path: str | Path) -> dict[str, str]:
    """Read a variables file: CSV with ``name,description`` or a YAML/JSON mapping.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "v.json")
    >>> _ = open(p, "w").write('{"smoking": "Cigarettes per day"}')
    >>> read_variables(p)
    {'smoking': 'Cigarettes per day'}
    """
    return read_variables_file(path)[0]


#: Values of a variables file's ``type`` column: they override the inferred type (blank: infer).
DECLARED_TYPES = ("continuous", "discrete", "exclude")


def read_types(path: str | Path) -> dict[str, str]:
    """The types a variables file declares (its ``type`` column, or ``type:`` in a YAML/JSON entry).

    ``continuous``, ``discrete`` or ``exclude`` (``causalllm init`` writes ``excluded: why``,
    read as ``exclude``); blank means infer.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "v.yaml")
    >>> _ = open(p, "w").write("age: {description: Age in years, type: discrete}\\nid: {type: exclude}\\n")
    >>> read_types(p)
    {'age': 'discrete', 'id': 'exclude'}
    """
    return read_variables_file(path)[1]


def _declared(path: Path, name: str, value: Any) -> str | None:
    t = "" if value is None else str(value).strip().lower()
    if not t:
        return None
    if t.startswith("exclude"):
        return "exclude"
    if t not in DECLARED_TYPES:
        raise DataError(f"variables file {path}: type {value!r} for '{name}' is not one of "
                        f"{', '.join(DECLARED_TYPES)} (leave it blank to infer)")
    return t


def read_variables_file(path: str | Path) -> tuple[dict[str, str], dict[str, str]]:
    """A variables file's descriptions and declared types, read once (:func:`read_variables`, :func:`read_types`)."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"variables file {path} does not exist; create one with 'causalllm init DATA'")
    suffix = path.suffix.lower()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(f"variables file {path} is not valid UTF-8; re-save it as UTF-8") from None
    if not text.strip():
        raise DataError(f"variables file {path} is empty; fill it in (see 'causalllm init DATA')")
    if suffix in (".yaml", ".yml", ".json"):
        return _from_mapping(path, text, suffix)
    return _from_csv(path)


def _from_mapping(path: Path, text: str, suffix: str) -> tuple[dict[str, str], dict[str, str]]:
    """A YAML/JSON variables file: ``name: description`` or ``name: {description: ..., type: ...}``."""
    try:
        obj = parse_mapping(text, suffix)
    except ValueError as e:
        raise DataError(f"variables file {path} is not valid {suffix[1:].upper()} ({e}); fix its syntax") from None
    if not isinstance(obj, dict):
        raise DataError(f"variables file {path} must be a mapping of name -> description")
    desc: dict[str, str] = {}
    types: dict[str, str] = {}
    for k, v in obj.items():
        name = str(k).strip()
        if isinstance(v, dict):
            desc[name] = str(v.get("description") or "").strip()
            t = _declared(path, name, v.get("type"))
            if t:
                types[name] = t
        else:
            desc[name] = "" if v is None else str(v).strip()
    return desc, types


def _from_csv(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """A CSV variables file: ``name,description`` (and an optional ``type`` column)."""
    try:
        vdf = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise DataError(f"variables file {path} could not be parsed as CSV ({str(e).strip().splitlines()[-1]})") from None
    cols = [c.strip().lower() for c in vdf.columns]
    if "name" not in cols:
        raise DataError(f"variables file {path} needs a 'name' column (and 'description'); found {', '.join(vdf.columns)}")
    vdf.columns = cols
    names = [unneutralise(str(n).strip()) for n in vdf["name"]]
    dups = sorted({n for n in names if n and names.count(n) > 1})
    if dups:
        raise DataError(f"variables file {path} lists {', '.join(dups)} more than once; keep one row per variable")
    desc: dict[str, str] = {}
    types: dict[str, str] = {}
    blank = pd.Series([""] * len(vdf))
    for n, d, t in zip(names, vdf["description"] if "description" in cols else blank,
                       vdf["type"] if "type" in cols else blank):
        if n:
            desc[n] = str(d).strip()
            declared = _declared(path, n, t)
            if declared:
                types[n] = declared
    return desc, types


def variables_template(df: pd.DataFrame) -> pd.DataFrame:
    """A ``name,type,description`` template with empty descriptions for ``causalllm init``.

    Examples
    --------
    >>> import pandas as pd
    >>> variables_template(pd.DataFrame({"a": [1.5, 2.5], "b": ["x", "y"]})).to_dict("list")
    {'name': ['a', 'b'], 'type': ['continuous', 'discrete'], 'description': ['', '']}
    """
    types, excluded = infer_types(df)
    rows = []
    for col in df.columns:
        t = types.get(col, f"excluded: {excluded.get(col, '')}")
        rows.append({"name": col, "type": t, "description": ""})
    return pd.DataFrame(rows, columns=["name", "type", "description"])


def write_variables_template(data: str | Path, output: str | Path | None = None, *, force: bool = False) -> Path:
    """Write a ``name,type,description`` template for ``data`` (``causalllm init``); return its path.

    A bundled dataset's template goes to the working folder, never into the installed package.
    """
    from . import bundled

    is_bundled = not Path(data).exists() and bundled.is_bundled(str(data))
    src = bundled.get(str(data)).data_path if is_bundled else Path(data)
    df = read_table(src)
    default = Path(f"{data}.variables.csv") if is_bundled else src.with_name(src.stem + ".variables.csv")
    out = Path(output) if output else default
    if out.exists() and not force:
        raise ConfigError(f"{out} already exists; use --force to overwrite it or --output to choose another file")
    try:
        tpl = variables_template(df)
        out.write_text(csv_text(tpl.to_dict("records"), list(tpl.columns)), encoding="utf-8")  # names neutralised
    except OSError as e:
        raise ConfigError(f"cannot write {out} ({e.strerror}); choose another --output") from None
    return out


