"""Saved questions: `cypher/<id>.cypher` files with a metadata header, run read-only on either store.

Header: leading `// key: value` lines; `controls`, `params`, `evidence` and `remediation` are JSON. Example:

    // id: object-readers
    // title: Who read objects in a bucket
    // severity: medium
    // controls: ["eu-ai-act:Art.10(5)(c)"]
    // params: {"bucket": {"type": "bucket", "required": true, "description": "..."}}
    // evidence: ["cloudtrail-management", "s3-data-events"]
    // pass: no rows
    // remediation: {"text": "Restrict the bucket policy to ...", "links": ["https://docs.aws.amazon.com/..."]}
    // group: {"by": ["bucket", "access"], "member": "principal", "merge": ["via"]}

`group` (optional) says how people read a long answer: one row per value of the `by` columns, counting the
`member` values with a sample of them, `merge` columns as the union of the group's lists
(graphgov.questions.grouping).

`evidence` names the sources (graphgov.questions.controls.EVIDENCE_SOURCES) the answer depends on: until each was
loaded, an empty answer proves nothing and the report says `not-evidenced`. `pass` (default `no rows`)
says how `graphgov report` judges the answer: `no rows` (rows are findings), `any rows` (rows are the
evidence required), or `evidence` (a listing for the auditor, never a finding).

Parameters are typed; values are normalised before the query runs (a bucket given as an ARN or
`s3://` URI becomes its name; a principal given by name or session ARN becomes its canonical ARN, and
an ambiguous name fails listing the ARNs it matches). Answers are made deterministic here, the same
for both stores: rows sorted, lists sorted, times ISO-8601 UTC.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from graphgov.core import ids
from graphgov.stores.base import Store

Severity = Literal["info", "low", "medium", "high", "critical"]
PassRule = Literal["no rows", "any rows", "evidence"]
ParamType = Literal["string", "principal", "endpoint", "model", "dataset", "job", "bucket", "prefix", "int"]


class QuestionError(Exception):
    """A question cannot be run as asked (unknown id, bad or ambiguous parameter)."""


class ParamSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    type: ParamType
    required: bool = True
    default: Any = None
    description: str


# Where a remediation may send people: AWS's own documentation, so a link says what AWS says the setting does.
REMEDIATION_HOSTS = ("docs.aws.amazon.com",)


class Remediation(BaseModel):
    """What to change so the finding goes away (or what to do with a listing), and where AWS documents it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    text: str
    links: tuple[str, ...]

    @field_validator("text")
    @classmethod
    def _text_says_something(cls, text: str) -> str:
        if not text.strip():
            raise ValueError("remediation text is empty")
        return text.strip()

    @field_validator("links")
    @classmethod
    def _links_are_aws_documentation(cls, links: tuple[str, ...]) -> tuple[str, ...]:
        if not links:
            raise ValueError("no remediation link: name at least one AWS documentation page")
        for link in links:
            parts = urlsplit(link)
            if parts.scheme != "https" or parts.hostname not in REMEDIATION_HOSTS or not parts.path.strip("/"):
                raise ValueError(f"remediation link {link!r} is not an https page on "
                                 f"{' or '.join(REMEDIATION_HOSTS)}")
        return links

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.text, "links": list(self.links)}


class Grouping(BaseModel):
    """How a long answer is shown to people: grouped by `by`, counting and sampling `member`, uniting `merge`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    by: tuple[str, ...] = Field(min_length=1)
    member: str
    merge: tuple[str, ...] = ()


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    title: str
    description: str
    severity: Severity
    controls: tuple[str, ...]
    params: dict[str, ParamSpec] = Field(default_factory=dict)
    evidence: tuple[str, ...] = ()
    pass_rule: PassRule = "no rows"
    remediation: Remediation
    group: Grouping | None = None
    cypher: str

    @model_validator(mode="before")
    @classmethod
    def _remediation_declared(cls, data: Any) -> Any:
        """A missing remediation is named with the header line that adds it, not as a bare "Field required"."""
        if isinstance(data, dict) and "remediation" not in data:
            raise ValueError('no remediation: add a header line // remediation: {"text": "what to change", '
                             '"links": ["https://docs.aws.amazon.com/..."]}')
        return data

    @property
    def informational(self) -> bool:
        """Evidence only, never a finding: severity info, a required parameter, or `pass: evidence`."""
        return (self.severity == "info" or self.pass_rule == "evidence"
                or any(spec.required for spec in self.params.values()))

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id, "title": self.title, "description": self.description, "severity": self.severity,
            "controls": list(self.controls),
            "params": {k: v.model_dump() for k, v in sorted(self.params.items())},
            "evidence": list(self.evidence), "pass": self.pass_rule, "remediation": self.remediation.as_dict(),
        }


_HEADER_RE = re.compile(r"^//\s*([a-z_]+)\s*:\s*(.*)$")
_JSON_KEYS = ("controls", "params", "evidence", "remediation", "group")
_RENAMED = {"pass": "pass_rule"}  # header key -> model field


def parse_question(text: str, origin: str) -> Question:
    """A question from the text of its `.cypher` file; QuestionError names the file and the fault."""
    meta: dict[str, Any] = {}
    body: list[str] = []
    in_header = True
    for line in text.splitlines():
        match = _HEADER_RE.match(line.strip()) if in_header else None
        if match:
            key, value = match.groups()
            if key in _JSON_KEYS:
                try:
                    value = json.loads(value)
                except json.JSONDecodeError as exc:
                    raise QuestionError(f"{origin}: header {key!r} is not JSON: {exc}") from exc
            meta[_RENAMED.get(key, key)] = value
            continue
        if in_header and (not line.strip() or line.strip().startswith("//")):
            continue
        in_header = False
        body.append(line)
    try:
        return Question(**meta, cypher="\n".join(body).strip())
    except ValidationError as exc:
        raise QuestionError(f"{origin}: invalid question metadata: {_explain(exc)}") from exc


def _explain(exc: ValidationError) -> str:
    """Pydantic's errors as one line: `field.path: message`, joined by `; ` (no input dumps, no help URLs)."""
    found = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        found.append(f"{where}: {message}" if where else message)
    return "; ".join(found)


@lru_cache(maxsize=1)
def catalog() -> dict[str, Question]:
    """All saved questions shipped in the `cypher` package, by id."""
    found: dict[str, Question] = {}
    for entry in sorted(resources.files("cypher").iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".cypher"):
            continue
        question = parse_question(entry.read_text(encoding="utf-8"), f"cypher/{entry.name}")
        if f"{question.id}.cypher" != entry.name:
            raise QuestionError(f"cypher/{entry.name}: id {question.id!r} does not match the file name")
        found[question.id] = question
    return found


def get_question(question_id: str) -> Question:
    try:
        return catalog()[question_id]
    except KeyError:
        known = ", ".join(sorted(catalog()))
        raise QuestionError(f"unknown question {question_id!r} (known: {known})") from None


def check_param_names(question: Question, given: Mapping[str, str]) -> None:
    """Unknown or missing parameters, named before any store is opened (a usage error comes first)."""
    unknown = sorted(set(given) - set(question.params))
    if unknown:
        raise QuestionError(f"{question.id}: unknown parameter(s) {', '.join(unknown)}; "
                            f"it takes: {', '.join(sorted(question.params)) or 'none'}")
    for name, spec in question.params.items():
        if name not in given and spec.required:
            raise QuestionError(f"{question.id}: missing required parameter {name!r} ({spec.description})")


def bind_params(question: Question, given: Mapping[str, str], store: Store) -> dict[str, Any]:
    """Check and normalise user-supplied parameters against the question's declaration."""
    check_param_names(question, given)
    bound: dict[str, Any] = {}
    for name, spec in question.params.items():
        if name not in given:
            bound[name] = spec.default
            continue
        bound[name] = _normalise(question.id, name, spec, given[name], store)
    return bound


def _normalise(question_id: str, name: str, spec: ParamSpec, value: str, store: Store) -> Any:
    if spec.type == "int":
        try:
            return int(value)
        except ValueError:
            raise QuestionError(f"{question_id}: parameter {name!r} must be an integer, got {value!r}") from None
    if spec.type == "bucket":
        try:
            return ids.parse_s3_uri(value).bucket if ("://" in value or value.startswith("arn:")) else value
        except ids.IdentityError as exc:
            raise QuestionError(f"{question_id}: parameter {name!r}: {exc}") from None
    if spec.type in RESOLVED_TYPES:
        return resolve_node(question_id, name, spec.type, value, store)
    return value


# parameter type -> (merge labels, how a given value becomes a key, the names it may be)
RESOLVED_TYPES = {
    "principal": (("AWSPrincipal",), lambda v: ids.canonical_principal_arn(v), lambda v: (v,)),
    # SageMaker names are lower-cased in its ARNs and graphgov's names; Comprehend's keep their case
    "endpoint": (("Endpoint",), lambda v: _lower_resource_name(v), lambda v: _either_case(v)),
    "model": (("Model",), lambda v: _lower_resource_name(v), lambda v: _either_case(v)),
    "dataset": (("Dataset",), lambda v: ids.parse_s3_uri(v).uri(), lambda v: (v,)),
    "job": (("TrainingJob", "CustomizationJob"), lambda v: _lower_resource_name(v), lambda v: (v,)),
}


def _either_case(name: str) -> tuple[str, ...]:
    """A name as SageMaker stores it (lower-cased) and as given (Comprehend keeps its case)."""
    return tuple(dict.fromkeys((name.lower(), name)))


def _lower_resource_name(value: str) -> str:
    """SageMaker ARNs carry lower-cased names; a user may paste a mixed-case one. Other services' ARNs are kept."""
    if ids.arn_service(value) != "sagemaker":
        return value
    arn = ids.parse_arn(value)
    kind, sep, rest = arn.resource.partition("/")
    return str(ids.Arn(arn.partition, arn.service, arn.region, arn.account, f"{kind}{sep}{rest.lower()}"))


def resolve_node(question_id: str, name: str, param_type: str, value: str, store: Store) -> str:
    """A node named by key (ARN) or by name -> its key; a name matching several is an error listing them."""
    labels, to_key, to_name = RESOLVED_TYPES[param_type]
    try:
        key = to_key(value)
    except ids.IdentityError as exc:
        raise QuestionError(f"{question_id}: parameter {name!r}: {exc}") from None
    matches = sorted({m for label in labels for name in to_name(value) for m in store.find_nodes(label, key, name)})
    if key in matches:
        return key
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise QuestionError(f"{question_id}: no {param_type} in the graph matches {value!r}")
    raise QuestionError(
        f"{question_id}: {value!r} is ambiguous; it matches {len(matches)} {param_type}s: {', '.join(matches)}"
    )


def ask(store: Store, question_id: str, given: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Run a saved question on a store; rows come back sorted and normalised."""
    question = get_question(question_id)
    params = bind_params(question, given or {}, store)
    rows = store.ask(question.id, question.cypher, params)
    return normalise_rows(rows)


def normalise_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted((normalise_row(row) for row in rows), key=row_sort_key)


def normalise_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row as answers give it: lists sorted, Neo4j temporal values as ISO text."""
    return {k: _normalise_value(v) for k, v in row.items()}


def row_sort_key(row: Mapping[str, Any]) -> tuple:
    """The order of an answer's rows: by their columns left to right (see _sort_key)."""
    return tuple(_sort_key(v) for v in row.values())


def _sort_key(value: Any) -> tuple[int, Any]:
    """Order rows by their columns left to right; None first, then booleans, numbers, strings."""
    if value is None:
        return (0, "")
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, (int, float)):
        return (2, value)
    if isinstance(value, str):
        return (3, value)
    return (4, json.dumps(value, sort_keys=True, default=str))


def _normalise_value(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return sorted(_normalise_value(v) for v in value)
    if hasattr(value, "iso_format"):  # neo4j temporal types, should a question return one
        return value.iso_format()
    return value
