"""The compliance frameworks and their controls, read from one JSON file per framework beside this module.

The controls are data, not code, so that an auditor can review or extend a framework without reading
Python: `<framework id>.json` holds the framework's title, its place among the frameworks (`order`: the
order of reports, `--framework` choices and the README) and its controls (id as written after
`<framework>:` in a question's `// controls:` header, and title). A control no saved question evidences
says so (`"question_evidenced": false`); the report leaves such controls out, and a test keeps the mark
honest both ways.

Every file is validated by pydantic when the package is imported; a wrong file stops the import with one
line naming the file and the field (FrameworkFileError).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

Text = Annotated[str, StringConstraints(min_length=1)]


class FrameworkFileError(ValueError):
    """A framework file is not valid JSON or does not match FrameworkFile: one line, naming file and field."""


class ControlEntry(BaseModel):
    """One control of a framework file."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: Annotated[str, StringConstraints(min_length=1, pattern=r"^[^:]+$")]
    title: Text
    question_evidenced: bool = True  # False: listed for completeness, no saved question gives evidence


class FrameworkFile(BaseModel):
    """The content of `graphgov/questions/frameworks/<id>.json`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]
    title: Text
    order: Annotated[int, Field(ge=1)]
    controls: tuple[ControlEntry, ...]

    @field_validator("controls")
    @classmethod
    def _some_controls_each_once(cls, controls: tuple[ControlEntry, ...]) -> tuple[ControlEntry, ...]:
        if not controls:
            raise ValueError("a framework lists at least one control")
        seen: set[str] = set()
        for control in controls:
            if control.id in seen:
                raise ValueError(f"duplicate control id {control.id!r}")
            seen.add(control.id)
        return controls


@dataclass(frozen=True)
class Framework:
    id: str
    title: str
    controls: Mapping[str, str]  # control id (as written after `<framework>:`) -> title, in file order
    not_question_evidenced: frozenset[str] = field(default_factory=frozenset)  # control ids no question names


def _one_line(error: ValidationError) -> str:
    """Pydantic's errors as `field.path: message` pairs on one line."""
    parts = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"]) or "(file)"
        parts.append(f"{where}: {problem['msg']}")
    return "; ".join(parts)


def parse_framework(text: str, origin: str) -> FrameworkFile:
    """A framework file from its text; FrameworkFileError names `origin` and the faulty field."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FrameworkFileError(f"{origin}: not JSON: {exc}") from exc
    try:
        parsed = FrameworkFile.model_validate(data)
    except ValidationError as exc:
        raise FrameworkFileError(f"{origin}: {_one_line(exc)}") from exc
    expected = origin.rsplit("/", 1)[-1].removesuffix(".json")
    if parsed.id != expected:
        raise FrameworkFileError(f"{origin}: id: {parsed.id!r} differs from the file name {expected!r}")
    return parsed


def frameworks_from(files: Iterable[Traversable], origin: str) -> dict[str, Framework]:
    """The frameworks of the `*.json` files among `files`, by id, in their declared order."""
    parsed = [parse_framework(entry.read_text(encoding="utf-8"), f"{origin}/{entry.name}")
              for entry in sorted(files, key=lambda e: e.name) if entry.name.endswith(".json")]
    by_order: dict[int, str] = {}
    for framework in parsed:
        if framework.order in by_order:
            raise FrameworkFileError(f"{origin}/{framework.id}.json: order: {framework.order} is also the order "
                                     f"of {origin}/{by_order[framework.order]}.json")
        by_order[framework.order] = framework.id
    return {f.id: Framework(f.id, f.title, {c.id: c.title for c in f.controls},
                            frozenset(c.id for c in f.controls if not c.question_evidenced))
            for f in sorted(parsed, key=lambda f: f.order)}


def load_frameworks() -> dict[str, Framework]:
    """Every framework shipped with the package (`graphgov/questions/frameworks/*.json`)."""
    return frameworks_from(resources.files(__name__).iterdir(), "graphgov/questions/frameworks")


FRAMEWORKS: dict[str, Framework] = load_frameworks()
