"""The schema declaration and everything generated from it."""

from __future__ import annotations

import re
from pathlib import Path

from graphgov.core.schema import EDGE_TYPES, NODE_TYPES, node_labels, schema_table_markdown
from graphgov.questions.catalog import catalog
from graphgov.stores.schema_cypher import constraint_statements, edge_write_statement, node_write_statement

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


def test_generated_node_write():
    # a policy-named node is replaced by its first evidence; principal_type keeps its highest-ranked value
    old, new = (f"(CASE {e} WHEN 'AWSAccount' THEN 1 WHEN 'Root' THEN 2 ELSE 0 END)"
                for e in ("old_principal_type", "n.principal_type"))
    assert node_write_statement("AWSPrincipal", ("AWSPrincipal", "AWSRole")) == (
        "UNWIND $rows AS row\n"
        "MERGE (n:AWSPrincipal {arn: row.key})\n"
        "FOREACH (_ IN CASE WHEN n.sources = ['policy'] AND (NOT 'policy' IN row.sources OR row.sources = ['policy'])"
        " THEN [1] ELSE [] END "
        "| SET n = {arn: row.key})\n"
        "WITH n, row WHERE row.sources <> ['policy'] OR n.sources IS NULL OR n.sources = ['policy']\n"
        "WITH n, row, n.principal_id AS old_principal_id, n.principal_id_at AS old_principal_id_at, "
        "n.principal_type AS old_principal_type\n"
        "SET n += row.props\n"
        "SET n:AWSRole\n"
        "SET n.principal_id = CASE WHEN row.props.principal_id_at < old_principal_id_at THEN old_principal_id "
        "ELSE n.principal_id END,\n"
        "    n.principal_id_at = CASE WHEN row.props.principal_id_at < old_principal_id_at THEN old_principal_id_at "
        "ELSE n.principal_id_at END,\n"
        f"    n.principal_type = CASE WHEN old_principal_type IS NOT NULL AND ({old} > {new} OR "
        f"({old} = {new} AND toString(old_principal_type) > toString(n.principal_type))) "
        "THEN old_principal_type ELSE n.principal_type END\n"
        "SET n.first_seen = CASE WHEN n.first_seen IS NULL OR row.first_seen < n.first_seen "
        "THEN row.first_seen ELSE n.first_seen END,\n"
        "    n.last_seen = CASE WHEN n.last_seen IS NULL OR row.last_seen > n.last_seen "
        "THEN row.last_seen ELSE n.last_seen END,\n"
        "    n.sources = COLLECT { UNWIND coalesce(n.sources, []) + coalesce(row.sources, []) AS x "
        "WITH DISTINCT x ORDER BY x RETURN x }"
    )


def test_generated_aggregated_edge_write():
    statement = edge_write_statement(EDGE_TYPES["READ"], "AWSPrincipal", "S3Object")
    assert statement.startswith(
        "UNWIND $rows AS row\n"
        "MATCH (a:AWSPrincipal {arn: row.src})\n"
        "MATCH (b:S3Object {arn: row.dst})\n"
        "MERGE (a)-[r:READ]->(b)\n"
        "SET r += row.props\n"
    )
    assert statement.endswith(
        "    r.event_ids = COLLECT { UNWIND coalesce(r.event_ids, []) + coalesce(row.event_ids, []) AS x "
        "WITH DISTINCT x ORDER BY x LIMIT 5 RETURN x },\n"
        "    r.access_points = COLLECT { UNWIND coalesce(r.access_points, []) + coalesce(row.access_points, []) AS x "
        "WITH DISTINCT x ORDER BY x RETURN x },\n"
        "    r.count = CASE WHEN row.count IS NULL THEN r.count ELSE coalesce(r.count, 0) + row.count END,\n"
        "    r.bytes = CASE WHEN row.bytes IS NULL THEN r.bytes ELSE coalesce(r.bytes, 0) + row.bytes END,\n"
        "    r.operations = COLLECT { UNWIND coalesce(r.operations, []) + coalesce(row.operations, []) AS x "
        "WITH DISTINCT x ORDER BY x RETURN x }"
    )
    structural = edge_write_statement(EDGE_TYPES["CONTAINS"], "S3Bucket", "S3Object")
    assert "count" not in structural and "MATCH (a:S3Bucket {id: row.src})" in structural
    assert "r.event_ids" in structural  # every edge keeps provenance


def test_labels_never_come_from_data():
    import pytest

    with pytest.raises(ValueError):
        node_write_statement("AWSPrincipal", ("AWSPrincipal", "Injected`) DETACH DELETE n //"))


def test_readme_schema_table_is_current():
    readme = (ROOT / "README.md").read_text()
    table = readme.split("<!-- schema:start -->\n", 1)[1].split("\n<!-- schema:end -->", 1)[0]
    assert table == schema_table_markdown()
