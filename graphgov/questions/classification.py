"""Which datasets hold personal or special-category data (EU AI Act Art. 10(5), GDPR Art. 30 and 9).

The rules that give every Dataset a `classification`: the sorted union of the categories that its bucket's
tags, the tags of its member objects (IN_DATASET) and the user's mapping rules give. This module only reads;
`graphgov.ingest.classify.classify(store, mapping)` applies the rules and writes the property.
Categories are free text; the built-in rules give `personal`, `special-category` and
`special-category:<GDPR Art. 9 kind>` (health, biometric, genetic, racial-or-ethnic-origin,
political-opinions, religious-or-philosophical-beliefs, trade-union-membership,
sex-life-or-sexual-orientation). A special category is not also labelled `personal`: the saved question
`personal-data-in-training` takes both.

Built-in tag rules (off with `"default_tags": false` in the mapping). A tag key is compared lower-cased,
`_` read as `-`, and only its last segment after `:` or `/` (`acme:data-classification` counts):

* classification keys `classification`, `data-classification`, `dataclassification`, `sensitivity`,
  `data-sensitivity`, `privacy`, `data-category`: each value word (split on `,;|+ `) that names a category:
  `personal`, `pii`, `personal-data`, `gdpr` -> personal; `special`, `special-category`, `sensitive-personal`,
  `spi` -> special-category; `health`, `phi`, `medical` -> special-category:health; `biometric`, `genetic`,
  `racial`, `ethnic`, `political`, `religious`, `trade-union`, `sexual-orientation`, `sex-life` -> their
  special category;
* flag keys `pii`, `personal-data`, `gdpr` (personal), `phi` (special-category:health), `special-category`
  (special-category), `biometric` (special-category:biometric): a true value (`true`, `yes`, `y`, `1`)
  gives the category; any other value is read as a classification value.

A mapping file (JSON; YAML when PyYAML is installed) adds rules:

    {"rules": [{"bucket": "b", "prefix": "p/", "classification": ["personal", "special-category:health"]},
               {"tag": "data-classification=pii", "classification": ["personal"]},
               {"tag": "owner=*", "classification": ["personal"]}]}

A bucket rule applies to a dataset of the bucket that lies under the prefix or holds data under it (the
two prefixes overlap); a tag rule (`key=value`, exact, or `key=*` for any value) applies as a built-in one.

A dataset that loses its classification gets an empty list. Run `graphgov classify` again after a load:
tags or datasets loaded since are not classified until then.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from graphgov.stores.base import Store

PERSONAL, SPECIAL = "personal", "special-category"
CLASSIFICATION_KEYS = frozenset({"classification", "data-classification", "dataclassification", "sensitivity",
                                 "data-sensitivity", "privacy", "data-category"})
VALUE_CATEGORIES: dict[str, str] = {
    "personal": PERSONAL, "pii": PERSONAL, "personal-data": PERSONAL, "gdpr": PERSONAL,
    "special": SPECIAL, "special-category": SPECIAL, "sensitive-personal": SPECIAL, "spi": SPECIAL,
    "health": f"{SPECIAL}:health", "phi": f"{SPECIAL}:health", "medical": f"{SPECIAL}:health",
    "biometric": f"{SPECIAL}:biometric", "genetic": f"{SPECIAL}:genetic",
    "racial": f"{SPECIAL}:racial-or-ethnic-origin", "ethnic": f"{SPECIAL}:racial-or-ethnic-origin",
    "political": f"{SPECIAL}:political-opinions", "religious": f"{SPECIAL}:religious-or-philosophical-beliefs",
    "trade-union": f"{SPECIAL}:trade-union-membership",
    "sexual-orientation": f"{SPECIAL}:sex-life-or-sexual-orientation",
    "sex-life": f"{SPECIAL}:sex-life-or-sexual-orientation",
}
FLAG_KEYS: dict[str, str] = {"pii": PERSONAL, "personal-data": PERSONAL, "gdpr": PERSONAL,
                             "phi": f"{SPECIAL}:health", "special-category": SPECIAL,
                             "biometric": f"{SPECIAL}:biometric"}
TRUE_VALUES = frozenset({"true", "yes", "y", "1"})
_WORDS = re.compile(r"[,;|+\s]+")


class ClassificationError(Exception):
    """The mapping file cannot be read or is not a valid mapping; the message names the file."""


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    bucket: str | None = None
    prefix: str = ""
    tag: str | None = None
    classification: tuple[str, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_target(self) -> Rule:
        if (self.bucket is None) == (self.tag is None):
            raise ValueError("a rule names either a bucket (with an optional prefix) or a tag")
        if self.tag is not None and (self.prefix or "=" not in self.tag or self.tag.startswith("=")):
            raise ValueError(f"tag rule {self.tag!r}: write `key=value` or `key=*`, without a prefix")
        if any(not c.strip() for c in self.classification):
            raise ValueError("empty classification")
        return self

    def matches_tag(self, tag: str) -> bool:
        key, _, value = (self.tag or "").partition("=")
        return tag == self.tag or (value == "*" and tag.partition("=")[0] == key)

    def covers(self, bucket: str | None, prefix: str | None) -> bool:
        prefix = prefix or ""
        return bucket == self.bucket and (prefix.startswith(self.prefix) or self.prefix.startswith(prefix))


class ClassificationMapping(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    rules: tuple[Rule, ...] = ()
    default_tags: bool = True


def load_mapping(path: Path) -> ClassificationMapping:
    """A mapping file: JSON, or YAML (`.yaml`/`.yml`) when PyYAML is installed."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ClassificationError(f"cannot read mapping {path}: {exc.strerror or exc}") from None
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            try:
                import yaml
            except ImportError:
                raise ClassificationError(f"{path}: YAML mappings need PyYAML; write the mapping as JSON") from None
            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except ClassificationError:
        raise
    except Exception as exc:  # noqa: BLE001 - json or yaml syntax errors, one line for the user
        raise ClassificationError(f"{path}: not valid {path.suffix.lstrip('.') or 'JSON'}: {exc}") from None
    return parse_mapping(data, str(path))


def parse_mapping(data: Any, origin: str = "mapping") -> ClassificationMapping:
    try:
        return ClassificationMapping.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'mapping'}: {e['msg']}" for e in exc.errors())
        raise ClassificationError(f"{origin}: invalid mapping: {problems}") from None


def _norm_key(key: str) -> str:
    return re.split(r"[:/]", key.strip().lower().replace("_", "-"))[-1]


def default_tag_categories(tag: str) -> set[str]:
    """The categories the built-in rules give one `key=value` tag."""
    raw_key, _, raw_value = tag.partition("=")
    key = _norm_key(raw_key)
    value = raw_value.strip().lower().replace("_", "-")
    found: set[str] = set()
    if key in FLAG_KEYS and value in TRUE_VALUES:
        found.add(FLAG_KEYS[key])
    elif key in CLASSIFICATION_KEYS or key in FLAG_KEYS:
        for word in _WORDS.split(value):
            if word in VALUE_CATEGORIES:
                found.add(VALUE_CATEGORIES[word])
    return found


def tag_categories(tags: Iterable[str], mapping: ClassificationMapping) -> dict[str, set[str]]:
    """category -> the tags that give it."""
    found: dict[str, set[str]] = defaultdict(set)
    tag_rules = [r for r in mapping.rules if r.tag is not None]
    for tag in tags:
        categories = default_tag_categories(tag) if mapping.default_tags else set()
        for rule in tag_rules:
            if rule.matches_tag(tag):
                categories.update(rule.classification)
        for category in categories:
            found[category].add(tag)
    return found


def classify_dataset(attrs: Mapping[str, Any], bucket_tags: Iterable[str], member_tags: Mapping[str, Iterable[str]],
                     mapping: ClassificationMapping) -> dict[str, list[str]]:
    """category -> why (`bucket-tag:k=v`, `object-tag:<object arn>:k=v`, `mapping:rules[i]`), for one dataset."""
    why: dict[str, set[str]] = defaultdict(set)
    for category, tags in tag_categories(bucket_tags, mapping).items():
        why[category].update(f"bucket-tag:{t}" for t in tags)
    for arn, tags in member_tags.items():
        for category, matched in tag_categories(tags, mapping).items():
            why[category].update(f"object-tag:{arn}:{t}" for t in matched)
    for index, rule in enumerate(mapping.rules):
        if rule.bucket is not None and rule.covers(attrs.get("bucket"), attrs.get("prefix")):
            for category in rule.classification:
                why[category].add(f"mapping:rules[{index}]")
    return {category: sorted(reasons) for category, reasons in sorted(why.items())}


# How a copy's tags relate to its source's (COPIED_FROM `tagging_directives`, REPLICA_OF): these carry them.
CARRYING_DIRECTIVES = frozenset({"COPY", "PART", "REPLICA"})


def effective_object_tags(store: Store) -> dict[str, tuple[str, list[str]]]:
    """object ARN -> (the object whose tags it holds, those tags), for objects with tags.

    An object's own tag set (`tags`, as of `tags_at`) stands unless a later copy (CopyObject with the default
    COPY directive, UploadPartCopy, or S3 replication) gave it its source's, which are then the source's own
    (followed through chains of copies). REPLACE copies set the object's own tags at the copy, so an untagged
    REPLACE copy carries nothing. The source's tags are its current ones: a tag change on the source after
    the copy is not told apart."""
    own = {key: own_tags(attrs) for key, attrs in store.scan_nodes("S3Object") if attrs.get("tags") is not None}
    sources: dict[str, list[tuple[str, str]]] = defaultdict(list)  # copy -> [(copied at, source)]
    for dst, src, attrs in store.scan_edges("COPIED_FROM"):
        add_tag_source(sources, "COPIED_FROM", dst, src, attrs)
    for dst, src, attrs in store.scan_edges("REPLICA_OF"):  # object tags replicate with the object
        add_tag_source(sources, "REPLICA_OF", dst, src, attrs)
    return resolve_tags(own, sources)


def own_tags(attrs: Mapping[str, Any]) -> tuple[list[str], str]:
    """An object node's own tags and when they were set (`effective_object_tags`' `own`)."""
    return attrs.get("tags") or [], attrs.get("tags_at") or ""


def add_tag_source(sources: dict[str, list[tuple[str, str]]], edge_type: str, dst: tuple[str, str],
                   src: tuple[str, str], attrs: Mapping[str, Any]) -> None:
    """Note the source whose tags a COPIED_FROM or REPLICA_OF edge (copy `dst` -> source `src`) may carry."""
    if edge_type == "REPLICA_OF":
        sources[dst[1]].append((attrs.get("replicated_at") or attrs.get("last_seen") or "", src[1]))
    elif CARRYING_DIRECTIVES & set(attrs.get("tagging_directives") or ["COPY"]):
        sources[dst[1]].append((attrs.get("last_seen") or "", src[1]))


def resolve_tags(own: Mapping[str, tuple[list[str], str]],
                 sources: Mapping[str, list[tuple[str, str]]]) -> dict[str, tuple[str, list[str]]]:
    """`effective_object_tags` from the objects' own tags and their copies' sources."""
    found: dict[str, tuple[str, list[str]] | None] = {}

    def resolve(arn: str, visiting: frozenset[str]) -> tuple[str, list[str]] | None:
        if arn in found:
            return found[arn]
        tags, at = own.get(arn, (None, ""))
        best: tuple[str, tuple[str, list[str]] | None] = (at, (arn, tags) if tags is not None else None)
        for copied_at, source in sorted(sources.get(arn, ())):
            if source in visiting or copied_at <= best[0] and best[1] is not None:
                continue  # a cycle of copies, or the object's own tags were set after this copy
            best = (copied_at, resolve(source, visiting | {arn}))
        found[arn] = best[1]
        return best[1]

    result = {}
    for arn in sorted(set(own) | set(sources)):
        held = resolve(arn, frozenset())
        if held and held[1]:
            result[arn] = held
    return result
