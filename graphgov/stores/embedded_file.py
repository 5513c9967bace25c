"""Reading the embedded store's old file format, and saying in one line what is wrong with a file that is not one.

Since graphgov-embedded/2 the store is SQLite (graphgov.stores.embedded_sql); a file of this format is read
by readers and moved to SQLite by the first writer (graphgov.stores.embedded_migrate). Such a file is gzip
JSON: {"format": FORMAT, "nodes": [[label, key, {attrs}]...], "edges": [[type,
[label, key], [label, key], {attrs}]...], "seen": {day: [key...]}, "checkpoints": {name: value},
"pending": {action key: copy}, "undo": undo log or null} (the last two: graphgov.ingest.pending; optional).
Anything else (an empty file, plain JSON, a list, another format version, wrong types inside) is a
StoreError naming the file and the first thing wrong, never a traceback, and the writer that refused
it never overwrites it.
"""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path
from typing import Any

from graphgov.stores.base import StoreError
from graphgov.stores.embedded_pending import shape_problem as pending_shape_problem

FORMAT = "graphgov-embedded/1"


def read_store_file(path: Path) -> dict[str, Any]:
    """The parsed store file at `path`, its shape checked; StoreError if it is not a store this reads."""
    try:
        with path.open("rb") as raw:
            head = raw.read(2)
    except OSError as exc:
        raise StoreError(f"cannot read embedded store {path}: {exc.strerror}") from None
    if not head:
        raise StoreError(f"cannot read embedded store {path}: the file is empty (0 bytes)")
    if head != b"\x1f\x8b":
        raise StoreError(f"cannot read embedded store {path}: not gzip-compressed "
                         f"(a store file is gzip JSON, format {FORMAT})")
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, EOFError, zlib.error) as exc:
        raise StoreError(f"cannot read embedded store {path}: damaged gzip ({exc})") from None
    except UnicodeDecodeError as exc:
        raise StoreError(f"cannot read embedded store {path}: not UTF-8 text ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise StoreError(f"cannot read embedded store {path}: not JSON ({exc})") from None
    except RecursionError:
        raise StoreError(f"cannot read embedded store {path}: JSON nested too deeply") from None
    problem = shape_problem(data)
    if problem:
        raise StoreError(f"cannot read embedded store {path}: {problem}")
    return data


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def _node_id(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)


def shape_problem(data: Any) -> str | None:
    """What keeps `data` from being a store of FORMAT, as a phrase; None when its shape is right."""
    if not isinstance(data, dict):
        return f"expected a JSON object with \"format\": \"{FORMAT}\", found {_kind(data)}"
    if "format" not in data:
        return f"no \"format\" key: not a graphgov embedded store ({FORMAT})"
    if data["format"] != FORMAT:
        return f"format {data['format']!r}, but this graphgov reads {FORMAT!r}"
    for name, kind in (("nodes", list), ("edges", list), ("seen", dict)):
        if not isinstance(data.get(name), kind):
            return f"\"{name}\" is {_kind(data.get(name)) if name in data else 'missing'}, expected {_kind(kind())}"
    for index, node in enumerate(data["nodes"]):
        if not (isinstance(node, list) and len(node) == 3 and isinstance(node[0], str)
                and isinstance(node[1], str) and isinstance(node[2], dict)):
            return f"nodes[{index}] is not [label, key, {{attributes}}]"
    nodes = {(node[0], node[1]) for node in data["nodes"]}
    for index, edge in enumerate(data["edges"]):
        if not (isinstance(edge, list) and len(edge) == 4 and isinstance(edge[0], str) and _node_id(edge[1])
                and _node_id(edge[2]) and isinstance(edge[3], dict)):
            return f"edges[{index}] is not [type, [label, key], [label, key], {{attributes}}]"
        if tuple(edge[1]) not in nodes or tuple(edge[2]) not in nodes:
            return f"edges[{index}] joins a node the file does not hold"
    for day, keys in data["seen"].items():
        if not (isinstance(keys, list) and all(isinstance(k, str) for k in keys)):
            return f"seen[{day!r}] is not a list of evidence keys"
    checkpoints = data.get("checkpoints", {})
    if not (isinstance(checkpoints, dict) and all(isinstance(v, str) for v in checkpoints.values())):
        return "\"checkpoints\" is not an object of names to strings"
    return pending_shape_problem(data.get("pending", {}), data.get("undo"))
