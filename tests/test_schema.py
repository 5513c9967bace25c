"""The schema declaration and everything generated from it."""

from __future__ import annotations

import re
from pathlib import Path

from graphgov.core.schema import EDGE_TYPES, NODE_TYPES, node_labels, schema_table_markdown
from graphgov.questions.catalog import catalog
from graphgov.stores.schema_cypher import constraint_statements

ROOT = Path(__file__).resolve().parent.parent
CARTOGRAPHY_LABELS = {"AWSAccount", "AWSPrincipal", "AWSUser", "AWSRole", "S3Bucket", "KMSKey"}


def test_cartography_labels_are_used():
    assert set(node_labels()) >= CARTOGRAPHY_LABELS


def test_edge_endpoints_are_declared_merge_labels():
    merge_labels = {t.merge_label for t in NODE_TYPES.values()}
    for edge in EDGE_TYPES.values():
        for src, dst in edge.endpoints:
            assert {src, dst} <= merge_labels, edge.name
        assert re.fullmatch(r"[A-Z][A-Z_]*", edge.name)


def test_every_label_and_relationship_in_saved_questions_exists():
    labels, types = set(node_labels()), set(EDGE_TYPES)
    for question in catalog().values():
        for label in re.findall(r"\(\w*:(\w+)", question.cypher):
            assert label in labels, (question.id, label)
        for group in re.findall(r"\[\w*:([A-Z_|]+)", question.cypher):
            assert set(group.split("|")) <= types, (question.id, group)


def test_constraints_are_community_uniqueness_constraints_only():
    statements = constraint_statements()
    assert "CREATE CONSTRAINT graphgov_awsprincipal_arn IF NOT EXISTS FOR (n:AWSPrincipal) REQUIRE n.arn IS UNIQUE" \
        in statements
    assert all(" IS UNIQUE" in s or s.startswith("CREATE INDEX") for s in statements)
    assert not any("IS NODE KEY" in s or "IS NOT NULL" in s for s in statements)


def test_readme_schema_table_is_current():
    readme = (ROOT / "README.md").read_text()
    table = readme.split("<!-- schema:start -->\n", 1)[1].split("\n<!-- schema:end -->", 1)[0]
    assert table == schema_table_markdown()
