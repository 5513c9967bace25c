"""Minimise a crashing JSON value: greedily drop keys and items and simplify values while it still crashes
the same way (same exception type, raised at the same line)."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from fuzz.mutate import _paths

SIMPLE: list[Any] = [None, "", 0, [], {}]


def signature(exc: BaseException) -> tuple[str, str]:
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"{frames[-1].filename.rsplit('/', 2)[-2:]}:{frames[-1].lineno}" if frames else "?"
    return type(exc).__name__, where


def _get(value: Any, path: tuple) -> Any:
    for step in path:
        value = value[step]
    return value


def _set(value: Any, path: tuple, new: Any, drop: bool = False) -> Any:
    if not path:
        return new
    step, rest = path[0], path[1:]
    out = dict(value) if isinstance(value, dict) else list(value)
    if not rest and drop:
        del out[step]
    else:
        out[step] = _set(value[step], rest, new, drop)
    return out


def _candidates(value: Any, path: tuple) -> list[tuple[Any, bool]]:
    here = _get(value, path)
    found: list[tuple[Any, bool]] = [(None, True)] if path else []
    if isinstance(here, str) and len(here) > 16:
        found.append((here[:16], False))
    if isinstance(here, (dict, list)) and len(here) == 1:  # peel one level of nesting
        found.append((next(iter(here.values())) if isinstance(here, dict) else here[0], False))
    found += [(s, False) for s in SIMPLE if type(s) is not type(here) or s != here]
    return found


def shrink(value: Any, crashes: Callable[[Any], BaseException | None], budget: int = 3000) -> Any:
    """The smallest variant of `value` found for which `crashes` returns an exception of the same signature."""
    first = crashes(value)
    if first is None:
        return value
    wanted = signature(first)
    calls = 0
    improved = True
    while improved and calls < budget:
        improved = False
        for path in [p for p in _paths(value) if "<json>" not in p]:
            for candidate, drop in _candidates(value, path):
                calls += 1
                trial = _set(value, path, candidate, drop)
                exc = crashes(trial)
                if exc is not None and signature(exc) == wanted:
                    value, improved = trial, True
                    break
            if improved or calls >= budget:
                break
    return value
