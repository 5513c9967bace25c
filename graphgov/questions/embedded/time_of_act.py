"""The saved questions judged at the time of the act, on the embedded (networkx) store.

bedrock-invocations-without-logging (each call against the logging configuration in force in its hour)
and unencrypted-ai-artifacts (each job output against its write record or its bucket's default encryption
when the job was created); each mirrors its `cypher/<id>.cypher` file row for row. A model invoked through an
inference profile is judged as the foundation model behind it (graphgov.questions.embedded.profiles).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import networkx as nx

from graphgov.questions.embedded.profiles import judged_model
from graphgov.questions.embedded.registry import Rows, answers
from graphgov.questions.embedded.walk import edges_in as _in
from graphgov.questions.embedded.walk import edges_out as _out
from graphgov.questions.embedded.walk import typed_edges
from graphgov.stores.embedded_graph import GraphReads

Node = tuple[str, str]


def _labels(attrs: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(attrs.get("labels", ()))


# --- bedrock-invocations-without-logging -------------------------------------------------------------


def _logging_changes(graph: nx.MultiDiGraph, account: str, region: str, modality: str) -> tuple[list, set, set]:
    """All change times of the account's and Region's logging configuration, the puts that delivered
    `modality`, and the deletes."""
    config = ("BedrockLoggingConfig", f"{account}/{region}")
    puts, delivering, deletes = [], set(), set()
    if config in graph:
        for _, _, r in _in(graph, config, "ENABLED_LOGGING"):
            puts += r.get("put_at") or []
            delivering |= set(r.get(f"{modality}_at") or [])
        for _, _, r in _in(graph, config, "DISABLED_LOGGING"):
            deletes |= set(r.get("deleted_at") or [])
    return puts + sorted(deletes), delivering, deletes


def hour_logging_state(hour: str, changes: list, delivering: set, deletes: set,
                       modality: str) -> tuple[str, str | None]:
    """The logging state for calls in `hour` and when logging was last turned off by then."""
    within = [t for t in changes if t.startswith(hour)]
    before = [t for t in changes if t < hour]
    last = max(before) if before else None
    if last is not None and last not in deletes and last in delivering \
            and all(t in delivering and t not in deletes for t in within):
        state = "on"
    elif within:
        state = "changed-in-hour"
    elif last is None:
        state = "not-evidenced"
    elif last in deletes:
        state = "off"
    else:
        state = f"no-{modality}-delivery"
    offs = [t for t in deletes if t < hour or t.startswith(hour)]
    return state, max(offs) if offs else None


@answers("bedrock-invocations-without-logging", GraphReads(
    edges=("INVOKED", "ROUTES_TO", "ENABLED_LOGGING", "DISABLED_LOGGING"), labels=("BedrockLoggingConfig",)))
def bedrock_invocations_without_logging(graph: nx.MultiDiGraph, params: Mapping[str, Any]) -> Rows:
    hours: dict[tuple, dict[str, tuple]] = {}
    calls: dict[tuple, list[tuple[int, bool]]] = {}
    for src, dst, _, r in typed_edges(graph, "INVOKED"):
        if src[0] != "AWSPrincipal" or "BedrockModel" not in _labels(graph.nodes[dst]):
            continue
        judged, profile = judged_model(graph, dst)
        account, region = graph.nodes[src].get("account_id"), graph.nodes[dst].get("region")
        modality = graph.nodes[judged].get("modality") or "text"
        changes, delivering, deletes = _logging_changes(graph, account, region, modality)
        group = (account, region, graph.nodes[judged].get("arn"), profile)
        invoked, logged = r.get("invoked_hours") or [], set(r.get("logged_hours") or [])
        unlogged = {}
        for hour in invoked:
            if hour not in logged:
                state, off_at = hour_logging_state(hour, changes, delivering, deletes, modality)
                if state != "on":
                    unlogged[hour] = (state, off_at)
        if not unlogged:
            continue
        hours.setdefault(group, {}).update(unlogged)
        whole = len(unlogged) == len(invoked)  # a pair's calls are counted per pair, not per hour
        calls.setdefault(group, []).append(((r.get("count") or 0) if whole else len(unlogged), whole))
    rows = []
    for group, judged in hours.items():
        account, region, model, profile = group
        ordered = sorted(judged)
        last_state, off_at = judged[ordered[-1]]
        rows.append({"account": account, "region": region, "model": model, "profile": profile,
                     "invocations": sum(n for n, _ in calls[group]),
                     "invocations_exact": all(whole for _, whole in calls[group]),
                     "unlogged_hours": len(ordered), "first_unlogged": ordered[0], "last_unlogged": ordered[-1],
                     "logging": last_state, "logging_off_at": off_at})
    return rows


# --- unencrypted-ai-artifacts ------------------------------------------------------------------------

# Both tables: (merge label, ..., issue, the labels of which a node needs one (() : any), the property that must
# be set (None: none)).
# JOB_OUTPUTS: (merge label, issue, labels, needed property), judged by the key and the output buckets.
JOB_OUTPUTS = (("TrainingJob", "training output without a customer KMS key", (), None),
               ("TuningJob", "training output without a customer KMS key", (), None),
               ("ProcessingJob", "processing output without a customer KMS key", (), None),
               ("TransformJob", "transform output without a customer KMS key", (), None),
               ("BatchInferenceJob", "analysis output without a customer KMS key", ("ComprehendAnalysisJob",), None),
               ("CustomizationJob", "training output without a customer KMS key", ("ComprehendTraining",),
                "output_path"))
# OTHER_KEYS: (merge label, key property, issue, labels, needed property), judged by the key alone.
OTHER_KEYS = (("EndpointConfig", "kms_key_ref", "endpoint storage volume without a customer KMS key", (), None),
              ("EndpointConfig", "data_capture_kms_key_ref", "data capture without a customer KMS key", (),
               "data_capture_uri"),
              ("CustomizationJob", "kms_key_ref", "custom model without a customer KMS key", (), None),
              ("CustomizationJob", "volume_kms_key_ref", "storage volume without a customer KMS key",
               ("ComprehendTraining", "ComprehendFlywheel"), None),
              ("BatchInferenceJob", "volume_kms_key_ref", "storage volume without a customer KMS key",
               ("ComprehendAnalysisJob",), None))


def _event_encryption(state: Mapping[str, Any]) -> str:
    """A PutBucketEncryption / DeleteBucketEncryption state as the default it sets (deleted: SSE-S3, the
    default of every bucket since January 2023)."""
    document = state.get("document") or ""
    if state.get("deleted") is True:
        return "sse-s3"
    if '"SSEAlgorithm":"aws:kms' in document:
        customer = '"KMSMasterKeyID":' in document and "alias/aws/s3" not in document
        return "customer-key" if customer else "aws-managed-key"
    return "sse-s3"


def _snapshot_encryption(bucket: Mapping[str, Any]) -> str:
    algorithm, key = bucket.get("default_encryption"), bucket.get("encryption_kms_key_ref") or ""
    if isinstance(algorithm, str) and algorithm.startswith("aws:kms"):
        return "customer-key" if key and not key.endswith("alias/aws/s3") else "aws-managed-key"
    return "sse-s3" if algorithm == "AES256" else "unknown"


def bucket_encryption_at(graph: nx.MultiDiGraph, bucket: Node, time: str | None) -> str:
    """The bucket's default encryption in force at `time`: the encryption change event in force then,
    else (no change seen) the snapshot; `unknown` when changes were seen but none was in force yet."""
    states = [graph.nodes[ps] for ps, _, _ in _out(graph, bucket, "HAS_POLICY")
              if graph.nodes[ps].get("slot") == "encryption"]
    at = [s for s in states if s.get("valid_from") is not None and time is not None and s["valid_from"] <= time
          and (s.get("valid_to") is None or s["valid_to"] > time)]
    if at:
        return _event_encryption(at[0])
    return "unknown" if states else _snapshot_encryption(graph.nodes[bucket])


def _written_objects(graph: nx.MultiDiGraph, job: Node) -> list[Mapping[str, Any]]:
    """The job's model artifacts whose write record said how they were encrypted."""
    found = []
    for artifact, _, _ in _out(graph, job, "WRITES"):
        a = graph.nodes[artifact]
        if artifact[0] != "ModelArtifact":
            continue
        for obj in _objects_at(graph, a.get("bucket"), a.get("key")):
            if obj.get("encryption") is not None:
                found.append(obj)
    return found


def _objects_at(graph: nx.MultiDiGraph, bucket: Any, key: Any) -> list[Mapping[str, Any]]:
    """S3 objects of that bucket and key (the bucket holds them: CONTAINS)."""
    node = ("S3Bucket", bucket)
    if bucket is None or key is None or node not in graph:
        return []
    return [graph.nodes[o] for o, _, _ in _out(graph, node, "CONTAINS") if graph.nodes[o].get("key") == key]


def _output_bucket_state(graph: nx.MultiDiGraph, name: str, time: str | None) -> str:
    bucket = ("S3Bucket", name)
    return bucket_encryption_at(graph, bucket, time) if bucket in graph else "unknown"


@answers("unencrypted-ai-artifacts", GraphReads(edges=("WRITES", "CONTAINS", "IN_BUCKET", "HAS_POLICY"),
                                            bare=("WRITES", "CONTAINS", "IN_BUCKET", "HAS_POLICY"),
                                            labels=(*(output[0] for output in JOB_OUTPUTS), "EndpointConfig",
                                                    "CustomizationJob", "S3Bucket")))
def unencrypted_ai_artifacts(graph: nx.MultiDiGraph, params: Mapping[str, Any]) -> Rows:
    rows = []
    for node, attrs in graph.nodes(data=True):
        if attrs.get("defined") is not True:
            continue
        labels = attrs.get("labels") or (node[0],)
        for label, issue, also, needs in JOB_OUTPUTS:
            if node[0] != label or attrs.get("output_kms_key_ref") or (also and not set(also) & set(labels)) \
                    or (needs and attrs.get(needs) is None):
                continue
            objects = _written_objects(graph, node)
            settled = {o.get("bucket") for o in objects}
            names = {graph.nodes[b].get("id") for out, _, _ in _out(graph, node, "WRITES")
                     for b, _, _ in _out(graph, out, "IN_BUCKET") if b[0] == "S3Bucket"}
            path = attrs.get("output_path")
            if isinstance(path, str) and path.startswith("s3://"):
                names.add(path[5:].split("/")[0])
            states = sorted({f"{o.get('bucket')}/{o.get('key')}={o.get('encryption')}" for o in objects}
                            | {f"{name}={_output_bucket_state(graph, name, attrs.get('first_seen'))}"
                               for name in names - settled})
            if states and all(s.endswith("=customer-key") for s in states):
                continue  # every output bucket encrypted with a customer key by default then
            rows.append({"resource": attrs.get("arn"), "resource_type": label, "account": attrs.get("account_id"),
                         "issue": issue, "output_encryption": states})
        for label, key_prop, issue, also, needs in OTHER_KEYS:
            if node[0] != label or attrs.get(key_prop) or (also and not set(also) & set(labels)) \
                    or (needs and attrs.get(needs) is None):
                continue
            rows.append({"resource": attrs.get("arn"), "resource_type": label, "account": attrs.get("account_id"),
                         "issue": issue, "output_encryption": []})
    return rows
