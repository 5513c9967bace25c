"""Cypher generated from graphgov.core.schema: constraints, indexes, the links derived from keys, the
bookkeeping statements (seen keys, checkpoints).

Labels, relationship types and property names come only from the schema declarations (never from
data); every value travels as a parameter (`$rows`). The chunk's nodes and edges themselves are folded
in Python by the merge rules and written by graphgov.stores.neo4j_fold.
Everything here works on Neo4j Community (uniqueness constraints and range indexes only).
"""

from __future__ import annotations

import re

from graphgov.core.schema import (
    CHECKPOINT_LABEL,
    MERGE_KEYS,
    SEEN_LABEL,
)

# A label, relationship type or property name as Cypher or a CSV header can carry it unquoted: what a name read
# back from the store or from a file must be before it is written into a statement or a header.
PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def constraint_statements() -> list[str]:
    """Uniqueness constraints on every merge key, plus the lookup indexes the saved questions and parameter
    resolution seek (each question's plan: bench/bench_questions.py; the seeks are guarded by
    tests/test_question_plans.py)."""
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
        # a job or dataset parameter given by name (questions.catalog.resolve_node seeks key OR name)
        "CREATE INDEX graphgov_trainingjob_name IF NOT EXISTS FOR (n:TrainingJob) ON (n.name)",
        "CREATE INDEX graphgov_customizationjob_name IF NOT EXISTS FOR (n:CustomizationJob) ON (n.name)",
        "CREATE INDEX graphgov_dataset_name IF NOT EXISTS FOR (n:Dataset) ON (n.name)",
        # the object a model artifact is (public-ai-data, cross-account-exposure): a seek, not a label scan
        "CREATE INDEX graphgov_modelartifact_bucket_key IF NOT EXISTS FOR (n:ModelArtifact) ON (n.bucket, n.key)",
        # whole-estate questions that start from a flag on a relationship: a seek on it, not every relationship
        "CREATE INDEX graphgov_assumed_role_cross_account IF NOT EXISTS "
        "FOR ()-[r:ASSUMED_ROLE]-() ON (r.cross_account)",
        "CREATE INDEX graphgov_uses_config_current IF NOT EXISTS FOR ()-[r:USES_CONFIG]-() ON (r.current)",
        f"CREATE CONSTRAINT graphgov_seen_key IF NOT EXISTS FOR (n:{SEEN_LABEL}) REQUIRE n.key IS UNIQUE",
        f"CREATE INDEX graphgov_seen_day IF NOT EXISTS FOR (n:{SEEN_LABEL}) ON (n.day)",
        f"CREATE CONSTRAINT graphgov_checkpoint_name IF NOT EXISTS FOR (n:{CHECKPOINT_LABEL}) REQUIRE n.name IS UNIQUE",
    ]
    return statements


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
