"""Cypher generated from graphgov.core.schema: constraints, indexes and the batched write statements.

Labels, relationship types and property names come only from the schema declarations (never from
data); every value travels as a parameter (`$rows`). The write statements are generated from the merge
rules (graphgov.core.merge_rules): LATEST properties travel in `row.props` (`SET += row.props`), every
other rule kind has its SET item (`_fold_item`), and the rows are shaped here too (`node_row`, `edge_row`),
so the statement and its rows cannot disagree about which property travels where.
Everything here works on Neo4j Community (uniqueness constraints and range indexes only).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphgov.core.merge_rules import (
    EDGE_RULES,
    NAMED_ONLY_SOURCE,
    NODE_RULES,
    NODE_WINDOW,
    Kind,
    Rule,
    folded_edge_props,
    ranked_props,
    timed_pairs,
)
from graphgov.core.schema import (
    CHECKPOINT_LABEL,
    MERGE_KEYS,
    NODE_TYPES,
    SEEN_LABEL,
    EdgeType,
    node_labels,
)

_NODE_FIELDS = frozenset((*NODE_WINDOW, "labels", "event_ids"))  # beside a node row's props (labels: Neo4j labels)


def _sorted_union(target: str, incoming: str, limit: int | None = None) -> str:
    tail = f" LIMIT {int(limit)}" if limit else ""
    return (
        f"COLLECT {{ UNWIND coalesce({target}, []) + {incoming} AS x "
        f"WITH DISTINCT x ORDER BY x{tail} RETURN x }}"
    )


def _fold_item(var: str, name: str, rule: Rule) -> str:
    """The SET item folding `row.<name>` into `<var>.<name>` by its rule (a null row value keeps the old one,
    except for unions, where it adds nothing)."""
    old, new = f"{var}.{name}", f"row.{name}"
    if rule.kind is Kind.MIN:
        return f"{old} = CASE WHEN {old} IS NULL OR {new} < {old} THEN {new} ELSE {old} END"
    if rule.kind is Kind.MAX:
        return f"{old} = CASE WHEN {old} IS NULL OR {new} > {old} THEN {new} ELSE {old} END"
    if rule.kind is Kind.UNION:
        return f"{old} = {_sorted_union(old, f'coalesce({new}, [])')}"
    if rule.kind is Kind.SAMPLE:
        return f"{old} = {_sorted_union(old, f'coalesce({new}, [])', rule.limit)}"
    if rule.kind is Kind.SUM:
        return f"{old} = CASE WHEN {new} IS NULL THEN {old} ELSE coalesce({old}, 0) + {new} END"
    raise ValueError(f"{name}: a {rule.kind.value} property travels in row.props, it has no SET item of its own")


def _fold_items(var: str, names: tuple[str, ...], rules: Mapping[str, Rule]) -> str:
    return "SET " + ",\n    ".join(_fold_item(var, name, rules[name]) for name in names)


def constraint_statements() -> list[str]:
    """Uniqueness constraints on every merge key, plus lookup indexes the questions use."""
    statements = []
    for label, key in sorted(MERGE_KEYS.items()):
        statements.append(
            f"CREATE CONSTRAINT graphgov_{label.lower()}_{key} IF NOT EXISTS "
            f"FOR (n:{label}) REQUIRE n.{key} IS UNIQUE"
        )
    statements += [
        "CREATE INDEX graphgov_awsprincipal_name IF NOT EXISTS FOR (n:AWSPrincipal) ON (n.name)",
        "CREATE INDEX graphgov_awsprincipal_principal_id IF NOT EXISTS FOR (n:AWSPrincipal) ON (n.principal_id)",
        "CREATE INDEX graphgov_s3object_bucket_key IF NOT EXISTS FOR (n:S3Object) ON (n.bucket, n.key)",
        "CREATE INDEX graphgov_dataset_bucket IF NOT EXISTS FOR (n:Dataset) ON (n.bucket)",
        "CREATE INDEX graphgov_dataset_bucket_prefix IF NOT EXISTS FOR (n:Dataset) ON (n.bucket, n.prefix)",
        "CREATE INDEX graphgov_dataset_bucket_data_type IF NOT EXISTS FOR (n:Dataset) ON (n.bucket, n.data_type)",
        "CREATE INDEX graphgov_model_name IF NOT EXISTS FOR (n:Model) ON (n.name)",
        "CREATE INDEX graphgov_endpoint_name IF NOT EXISTS FOR (n:Endpoint) ON (n.name)",
        f"CREATE CONSTRAINT graphgov_seen_key IF NOT EXISTS FOR (n:{SEEN_LABEL}) REQUIRE n.key IS UNIQUE",
        f"CREATE INDEX graphgov_seen_day IF NOT EXISTS FOR (n:{SEEN_LABEL}) ON (n.day)",
        f"CREATE CONSTRAINT graphgov_checkpoint_name IF NOT EXISTS FOR (n:{CHECKPOINT_LABEL}) REQUIRE n.name IS UNIQUE",
    ]
    return statements


def _rank(rule: Rule, expression: str) -> str:
    cases = " ".join(f"WHEN '{value}' THEN {rank}" for value, rank in rule.ranks)
    return f"(CASE {expression} {cases} ELSE 0 END)"


def node_row(key: str, attrs: Mapping[str, Any]) -> dict[str, Any]:
    """The `$rows` entry of node_write_statement for an aggregated node."""
    return {"key": key, "props": {k: v for k, v in attrs.items() if k not in _NODE_FIELDS},
            **{name: attrs[name] for name in NODE_WINDOW}}


def node_write_statement(merge_label: str, labels: tuple[str, ...]) -> str:
    """`$rows`: [{key, props, first_seen, last_seen, sources}] for nodes carrying exactly `labels`."""
    declared = set(node_labels())
    if merge_label not in labels or not set(labels) <= declared:
        raise ValueError(f"labels {labels} are not declared in the schema")
    extra = sorted(label for label in labels if label != merge_label)
    set_labels = f"\nSET n:{':'.join(extra)}" if extra else ""  # labels: a union, as Neo4j labels
    declared_props = {p for t in NODE_TYPES.values() if t.merge_label == merge_label for p in t.props}
    timed = timed_pairs(declared_props)
    ranked = ranked_props(declared_props)
    kept = [f"n.{prop} AS old_{prop}, n.{at} AS old_{at}" for prop, at in timed]
    kept += [f"n.{prop} AS old_{prop}" for prop in ranked]
    keep_old = f"WITH n, row, {', '.join(kept)}\n" if kept else ""
    restored = [f"n.{name} = CASE WHEN row.props.{at} < old_{at} THEN old_{name} ELSE n.{name} END"
                for prop, at in timed for name in (prop, at)]  # an older event's state never replaces a newer one
    for prop in ranked:  # the highest-ranked value stands, whatever the order
        old_rank, new_rank = _rank(NODE_RULES[prop], f"old_{prop}"), _rank(NODE_RULES[prop], f"n.{prop}")
        restored.append(f"n.{prop} = CASE WHEN old_{prop} IS NOT NULL AND ({old_rank} > {new_rank} OR "
                        f"({old_rank} = {new_rank} AND toString(old_{prop}) > toString(n.{prop}))) "
                        f"THEN old_{prop} ELSE n.{prop} END")
    restore = "\nSET " + ",\n    ".join(restored) if restored else ""
    return (
        "UNWIND $rows AS row\n"
        f"MERGE (n:{merge_label} {{{MERGE_KEYS[merge_label]}: row.key}})\n"
        # a node only the access derivation made (a policy names it) is replaced by its first evidence, and
        # by each derivation's own row (its window is recomputed from all the policy states)
        f"FOREACH (_ IN CASE WHEN n.sources = ['{NAMED_ONLY_SOURCE}'] AND (NOT '{NAMED_ONLY_SOURCE}' IN row.sources "
        f"OR row.sources = ['{NAMED_ONLY_SOURCE}']) THEN [1] ELSE [] END | "
        f"SET n = {{{MERGE_KEYS[merge_label]}: row.key}})\n"
        # and a policy-named row leaves an evidenced node alone
        f"WITH n, row WHERE row.sources <> ['{NAMED_ONLY_SOURCE}'] OR n.sources IS NULL "
        f"OR n.sources = ['{NAMED_ONLY_SOURCE}']\n"
        f"{keep_old}"
        f"SET n += row.props{set_labels}{restore}\n"
        f"{_fold_items('n', NODE_WINDOW, NODE_RULES)}"
    )


def edge_row(edge_type: EdgeType, src: str, dst: str, attrs: Mapping[str, Any]) -> dict[str, Any]:
    """The `$rows` entry of edge_write_statement for an aggregated edge: each folded property beside `props`."""
    folded = folded_edge_props(edge_type)
    return {"src": src, "dst": dst, "props": {k: v for k, v in attrs.items() if k not in folded},
            **{name: attrs.get(name) for name in folded}}


def edge_write_statement(edge_type: EdgeType, src_label: str, dst_label: str) -> str:
    """`$rows`: [{src, dst, props, first_seen, last_seen, sources, event_ids, <unions>, <additive>[, count,
    bytes, operations]}] (edge_row)."""
    src_key = MERGE_KEYS[src_label]
    dst_key = MERGE_KEYS[dst_label]
    return (
        "UNWIND $rows AS row\n"
        f"MATCH (a:{src_label} {{{src_key}: row.src}})\n"
        f"MATCH (b:{dst_label} {{{dst_key}: row.dst}})\n"
        f"MERGE (a)-[r:{edge_type.name}]->(b)\n"
        "SET r += row.props\n"
        f"{_fold_items('r', folded_edge_props(edge_type), EDGE_RULES)}"
    )


def dataset_link_statements() -> tuple[str, str]:
    """IN_DATASET edges for a chunk's datasets (`$rows`: [{uri}]) and objects (`$rows`: [{arn}]).

    Both directions, so the link appears whichever side is loaded first; both seek by index
    (Dataset.bucket; S3Object (bucket, key) with a prefix on key). Manifest datasets get none.
    """
    by_dataset = (
        "UNWIND $rows AS row\n"
        "MATCH (d:Dataset {uri: row.uri}) WHERE d.data_type = 'S3Prefix'\n"
        "MATCH (o:S3Object) WHERE o.bucket = d.bucket AND o.key STARTS WITH d.prefix\n"
        "MERGE (o)-[:IN_DATASET]->(d)"
    )
    by_object = (
        "UNWIND $rows AS row\n"
        "MATCH (o:S3Object {arn: row.arn})\n"
        "MATCH (d:Dataset {bucket: o.bucket}) WHERE d.data_type = 'S3Prefix' AND o.key STARTS WITH d.prefix\n"
        "MERGE (o)-[:IN_DATASET]->(d)"
    )
    return by_dataset, by_object


def feeds_statements() -> tuple[str, str, str]:
    """FEEDS from a job (processing, transform, batch inference) to each dataset its outputs feed
    (graphgov.core.s3_containment.feeds, the rule this mirrors), for a chunk's datasets (`$rows`: [{uri}];
    prefix datasets, then manifests) and job outputs (`$rows`: [{job, uri}]). Candidates come from index
    seeks on (bucket, prefix): every prefix of the output folder (or of the input's prefix) looked up
    exactly, and STARTS WITH the other way; manifests, which any output of their bucket may feed, by
    (bucket, data_type). No bucket's datasets are paired with each other."""
    condition = (
        "WITH p, o, i,\n"
        "     CASE WHEN o.prefix = '' OR o.prefix ENDS WITH '/' THEN o.prefix ELSE o.prefix + '/' END AS folder\n"
        "WHERE coalesce(i.data_type, 'S3Prefix') <> 'S3Prefix' OR i.prefix = o.prefix\n"
        "   OR folder STARTS WITH i.prefix OR i.prefix STARTS WITH folder\n"
        "MERGE (p)-[:FEEDS]->(i)"
    )
    by_dataset = (
        "UNWIND $rows AS row\n"
        "MATCH (i:Dataset {uri: row.uri}) WHERE coalesce(i.data_type, 'S3Prefix') = 'S3Prefix'\n"
        "CALL (i) {\n"
        "  UNWIND range(0, size(i.prefix)) AS n\n"
        "  MATCH (o:Dataset {bucket: i.bucket, prefix: substring(i.prefix, 0, n)})\n"
        "        <-[:WRITES]-(p:ProcessingJob|TransformJob|BatchInferenceJob)\n"
        "  USING INDEX o:Dataset(bucket, prefix)\n"
        "  RETURN o, p\n"
        "  UNION\n"
        "  MATCH (o:Dataset)<-[:WRITES]-(p:ProcessingJob|TransformJob|BatchInferenceJob)\n"
        "  USING INDEX o:Dataset(bucket, prefix)\n"
        "  WHERE o.bucket = i.bucket AND o.prefix STARTS WITH i.prefix\n"
        "  RETURN o, p\n"
        "}\n"
        + condition
    )
    by_manifest = (  # any output of the bucket may feed a manifest: its listed keys are unknown
        "UNWIND $rows AS row\n"
        "MATCH (i:Dataset {uri: row.uri}) WHERE coalesce(i.data_type, 'S3Prefix') <> 'S3Prefix'\n"
        "MATCH (o:Dataset {bucket: i.bucket})<-[:WRITES]-(p:ProcessingJob|TransformJob|BatchInferenceJob)\n"
        "USING INDEX o:Dataset(bucket)\n"
        + condition
    )
    by_output = (
        "UNWIND $rows AS row\n"
        "MATCH (o:Dataset {uri: row.uri})<-[:WRITES]-(p:ProcessingJob|TransformJob|BatchInferenceJob)\n"
        "WHERE p.arn = row.job\n"
        "WITH p, o, CASE WHEN o.prefix = '' OR o.prefix ENDS WITH '/' THEN o.prefix ELSE o.prefix + '/' END AS dir\n"
        "CALL (o, dir) {\n"
        "  UNWIND range(0, size(dir)) AS n\n"
        "  MATCH (i:Dataset {bucket: o.bucket, prefix: substring(dir, 0, n)})\n"
        "  USING INDEX i:Dataset(bucket, prefix)\n"
        "  RETURN i\n"
        "  UNION\n"
        "  MATCH (i:Dataset) USING INDEX i:Dataset(bucket, prefix)\n"
        "  WHERE i.bucket = o.bucket AND i.prefix STARTS WITH dir\n"
        "  RETURN i\n"
        "  UNION\n"
        "  MATCH (i:Dataset) USING INDEX i:Dataset(bucket, data_type)\n"
        "  WHERE i.bucket = o.bucket AND i.data_type < 'S3Prefix'\n"
        "  RETURN i\n"
        "  UNION\n"
        "  MATCH (i:Dataset) USING INDEX i:Dataset(bucket, data_type)\n"
        "  WHERE i.bucket = o.bucket AND i.data_type > 'S3Prefix'\n"
        "  RETURN i\n"
        "}\n"
        + condition
    )
    return by_dataset, by_manifest, by_output


def tuning_output_statements() -> tuple[str, str]:
    """WRITES from a tuning job to each artifact under its `artifact_prefix`, for a chunk's tuning jobs
    (`$rows`: [{arn}]) and artifacts (`$rows`: [{uri}]); the first seeks the ModelArtifact.uri index."""
    by_job = (
        "UNWIND $rows AS row\n"
        "MATCH (t:TuningJob {arn: row.arn}) WHERE t.artifact_prefix IS NOT NULL\n"
        "MATCH (a:ModelArtifact) WHERE a.uri STARTS WITH t.artifact_prefix\n"
        "MERGE (t)-[w:WRITES]->(a) ON CREATE SET w.evidence = ['tuning-output-prefix']"
    )
    by_artifact = (
        "UNWIND $rows AS row\n"
        "MATCH (a:ModelArtifact {uri: row.uri})\n"
        "MATCH (t:TuningJob) WHERE t.artifact_prefix IS NOT NULL AND a.uri STARTS WITH t.artifact_prefix\n"
        "MERGE (t)-[w:WRITES]->(a) ON CREATE SET w.evidence = ['tuning-output-prefix']"
    )
    return by_job, by_artifact


def endpoint_history_statement() -> str:
    """`$rows`: [{arn}] endpoints whose configurations changed: since/until/current on USES_CONFIG.

    `since` is when the endpoint was last set to the configuration, `until` when the next one was set,
    and `current` marks the one set last; derived from the times alone, so load order does not matter.
    """
    return (
        "UNWIND $rows AS row\n"
        "MATCH (e:Endpoint {arn: row.arn})-[u:USES_CONFIG]->(c:EndpointConfig)\n"
        "WITH e, u, c ORDER BY u.last_seen, c.arn\n"
        "WITH e, collect(u) AS uses\n"
        "UNWIND range(0, size(uses) - 1) AS i\n"
        "WITH uses[i] AS u, CASE WHEN i + 1 < size(uses) THEN uses[i + 1].last_seen END AS until\n"
        "SET u.since = u.last_seen, u.until = until, u.current = until IS NULL"
    )


def seen_write_statement() -> str:
    return f"UNWIND $rows AS row\nMERGE (s:{SEEN_LABEL} {{key: row.key}})\nON CREATE SET s.day = row.day"


def claim_statement() -> str:
    """`$rows`: [{key, day}] seen markers to create. The uniqueness constraint makes a concurrent CREATE of
    the same key wait for the first writer's commit and then fail (a ConstraintError naming the key); a
    CREATE is cheaper than a MERGE that looks first, and `unseen` already looked."""
    return f"UNWIND $rows AS row\nCREATE (:{SEEN_LABEL} {{key: row.key, day: row.day}})"


def seen_prune_statement(batch: int = 10000) -> str:
    """Delete the seen keys of days before `$before` whose key is no completion marker (`$markers`, a
    pattern), `batch` per inner transaction; returns `removed`. Bookkeeping without a day never matches."""
    return (f"MATCH (s:{SEEN_LABEL}) WHERE s.day < $before AND NOT s.key =~ $markers\n"
            f"CALL (s) {{ DELETE s }} IN TRANSACTIONS OF {int(batch)} ROWS\n"
            "RETURN count(*) AS removed")


def seen_lookup_statement() -> str:
    return f"UNWIND $keys AS k\nMATCH (s:{SEEN_LABEL} {{key: k}})\nRETURN s.key AS key"


def checkpoint_write_statement() -> str:
    return f"UNWIND $rows AS row\nMERGE (c:{CHECKPOINT_LABEL} {{name: row.name}})\nSET c.value = row.value"


def checkpoint_read_statement() -> str:
    return f"MATCH (c:{CHECKPOINT_LABEL} {{name: $name}}) RETURN c.value AS value"
