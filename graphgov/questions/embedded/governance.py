"""The AI-governance questions answered on the embedded (networkx) store.

Each function mirrors its `cypher/<id>.cypher` file row for row (the parity tests hold them to each
other): ai-inventory, shadow-ai, models-without-approved-package, endpoints-without-data-capture,
logging-coverage and short-log-retention.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import networkx as nx

from graphgov.questions.embedded.profiles import PROFILE_KINDS, foundation_behind, judged_model
from graphgov.questions.embedded.registry import Rows, answers
from graphgov.questions.embedded.walk import edges_in as _in
from graphgov.questions.embedded.walk import edges_out as _out
from graphgov.questions.embedded.walk import typed_edges
from graphgov.stores.embedded_graph import GraphReads

Node = tuple[str, str]
# Bedrock models nobody in the organisation defines: inventoried only once something uses them.
USED_ONLY_KINDS = ("foundation-model", "inference-profile")
MODEL_USES = ("INVOKED", "USES_MODEL", "RUNS_MODEL", "PROVISIONS", "BASED_ON", "ROUTES_TO")
APPROVAL_RANK = {"REJECTED": 0, "PENDING_APPROVAL": 1, "APPROVED": 2}  # on a tie, the stricter status wins
APPROVAL_STATUS = {"APPROVED": "approved", "REJECTED": "rejected", "PENDING_APPROVAL": "pending"}
MIN_RETENTION_DAYS = 180
S3_DATA = "AWS::S3::Object"
AI_DATA_PREFIXES = ("AWS::SageMaker::", "AWS::Bedrock::")


def _labels(attrs: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(attrs.get("labels", ()))


def _split(value: str | None) -> list[str]:
    """A comma-separated parameter as its non-empty, trimmed items (Cypher: split + trim)."""
    return [item.strip() for item in (value or "").split(",") if item.strip()]


# --- ai-inventory ------------------------------------------------------------------------------------


def _inventory_kind(graph: nx.MultiDiGraph, node: Node, attrs: Mapping[str, Any]) -> str | None:
    labels = _labels(attrs)
    if "SageMakerModel" in labels:
        return "sagemaker-model"
    if node[0] == "Endpoint":
        return "comprehend-endpoint" if "ComprehendEndpoint" in labels else "sagemaker-endpoint"
    if node[0] == "ModelPackage":
        return "sagemaker-model-package"
    if node[0] == "KnowledgeBase":
        return "bedrock-knowledge-base"
    if "ComprehendModel" in labels:
        return f"comprehend-{attrs.get('kind') or 'unknown'}"
    if "BedrockModel" in labels:
        kind = attrs.get("kind") or "unknown"
        if kind in USED_ONLY_KINDS and not any(_in(graph, node, *MODEL_USES)):
            return None
        return f"bedrock-{kind}"
    return None


@answers("ai-inventory", GraphReads(edges=(*MODEL_USES, "ROUTES_TO"),
                                    labels=("Model", "Endpoint", "ModelPackage", "KnowledgeBase")))
def ai_inventory(graph: nx.MultiDiGraph, params: Mapping[str, Any]) -> Rows:
    rows = []
    for node, attrs in graph.nodes(data=True):
        kind = _inventory_kind(graph, node, attrs)
        if kind is None:
            continue
        behind = foundation_behind(graph, node)
        rows.append({"resource": attrs.get("arn"), "kind": kind, "account": attrs.get("account_id"),
                     "region": attrs.get("region"), "first_seen": attrs.get("first_seen"),
                     "last_seen": attrs.get("last_seen"),
                     "foundation_model": graph.nodes[behind].get("arn") if behind else None})
    return rows


# --- shadow-ai ---------------------------------------------------------------------------------------


def _estate(graph: nx.MultiDiGraph, given: list[str]) -> set[str]:
    """The known accounts: as given, else the accounts whose own principals created AI resources in them."""
    if given:
        return set(given)
    owners = set()
    for src, dst, _, _ in typed_edges(graph, "CREATED"):
        account = graph.nodes[dst].get("account_id")
        if src[0] == "AWSPrincipal" and account is not None \
                and graph.nodes[src].get("account_id") == account:
            owners.add(account)
    return owners


@answers("shadow-ai", GraphReads(edges=("CREATED", "INVOKED", "ROUTES_TO")))
def shadow_ai(graph: nx.MultiDiGraph, params: Mapping[str, Any]) -> Rows:
    estate = _estate(graph, _split(params.get("known_accounts")))
    allowed = _split(params.get("allowed_models"))
    rows = []
    for src, dst, _, r in typed_edges(graph, "INVOKED"):
        p = graph.nodes[src]
        if src[0] != "AWSPrincipal" or "BedrockModel" not in _labels(graph.nodes[dst]):
            continue
        judged, profile = judged_model(graph, dst)
        m = graph.nodes[judged]
        unresolved = judged == dst and graph.nodes[dst].get("kind") in PROFILE_KINDS
        reasons = []
        if p.get("account_id") is not None and p.get("account_id") not in estate:
            reasons.append("account-outside-estate")
        model_id = m.get("model_id")
        if allowed and m.get("kind") == "foundation-model" and model_id is not None \
                and not any(model_id.startswith(prefix) for prefix in allowed):
            reasons.append("model-not-allowed")
        if allowed and unresolved:
            reasons.append("profile-model-not-evidenced")
        for reason in reasons:
            rows.append({"account": p.get("account_id"), "principal": p.get("arn"), "model": m.get("arn"),
                         "profile": profile, "kind": m.get("kind"), "invocations": r.get("count"),
                         "reason": reason})
    return rows


# --- models-without-approved-package -----------------------------------------------------------------


def _current_configs(graph: nx.MultiDiGraph) -> Iterator[tuple[Node, Node]]:
    for endpoint in [n for n in graph.nodes if n[0] == "Endpoint"]:
        for config, _, u in _out(graph, endpoint, "USES_CONFIG"):
            if u.get("current") is True and config[0] == "EndpointConfig":
                yield endpoint, config


def _package_status(graph: nx.MultiDiGraph, package: Node) -> str:
    changes = [(attrs.get("last_seen") or "", -APPROVAL_RANK[edge_type], edge_type)
               for _, edge_type, attrs in _in(graph, package, *APPROVAL_RANK)]
    if changes:
        return APPROVAL_STATUS[max(changes)[2]]
    # CreateModelPackage without a status leaves a versioned package PendingManualApproval
    return "pending" if graph.nodes[package].get("defined") is True else "not-evidenced"


@answers("models-without-approved-package", GraphReads(edges=("USES_CONFIG", "SERVES", "FROM_PACKAGE", *APPROVAL_RANK),
                                                   labels=("Endpoint",)))
def models_without_approved_package(graph: nx.MultiDiGraph, params: Mapping[str, Any]) -> Rows:
    rows = []
    for endpoint, config in _current_configs(graph):
        for model, _, _ in _out(graph, config, "SERVES"):
            packages = [pkg for pkg, _, _ in _out(graph, model, "FROM_PACKAGE") if pkg[0] == "ModelPackage"]
            found = [(graph.nodes[pkg].get("arn"), graph.nodes[pkg].get("account_id"), _package_status(graph, pkg))
                     for pkg in packages]
            for package, owner, status in found or [(None, None, "none")]:
                if status == "approved":
                    continue
                rows.append({"endpoint": graph.nodes[endpoint].get("arn"), "model": graph.nodes[model].get("arn"),
                             "account": graph.nodes[model].get("account_id"), "package": package,
                             "package_account": owner, "package_status": status})
    return rows


# --- endpoints-without-data-capture ------------------------------------------------------------------


@answers("endpoints-without-data-capture", GraphReads(edges=("USES_CONFIG",), labels=("Endpoint",)))
def endpoints_without_data_capture(graph: nx.MultiDiGraph, params: Mapping[str, Any]) -> Rows:
    """Every configuration each endpoint served under, judged by its own capture setting."""
    rows = []
    for endpoint in [n for n in graph.nodes if n[0] == "Endpoint"]:
        for config, _, u in _out(graph, endpoint, "USES_CONFIG"):
            c = graph.nodes[config]
            if config[0] != "EndpointConfig":
                continue
            if c.get("defined") is not True:
                capture = "not-evidenced"
            elif c.get("data_capture_uri") is None:
                capture = "off"
            else:
                continue
            e = graph.nodes[endpoint]
            rows.append({"endpoint": e.get("arn"), "account": e.get("account_id"), "region": e.get("region"),
                         "config": c.get("arn"), "data_capture": capture, "since": u.get("since"),
                         "until": u.get("until")})
    return rows


# --- logging-coverage --------------------------------------------------------------------------------


def _places(graph: nx.MultiDiGraph) -> set[tuple[str, str]]:
    """(account, Region) pairs seen: resources, trails' home Regions, and the Regions where principals invoked."""
    places = set()
    for node, attrs in graph.nodes(data=True):
        account = attrs.get("account_id")
        region = attrs.get("home_region") if node[0] == "CloudTrailTrail" else attrs.get("region")
        if account is not None and region is not None:
            places.add((account, region))
    for src, dst, _, _ in typed_edges(graph, "INVOKED"):
        account, region = graph.nodes[src].get("account_id"), graph.nodes[dst].get("region")
        if src[0] == "AWSPrincipal" and account is not None and region is not None:
            places.add((account, region))
    return places


def _covers(trail: Mapping[str, Any], account: str, region: str) -> bool:
    return (trail.get("is_logging") is True and trail.get("management_events") is True
            and (trail.get("account_id") == account or trail.get("organization") is True)
            and (trail.get("multi_region") is True or trail.get("home_region") == region))


@answers("logging-coverage", GraphReads(edges=("INVOKED", "CHANGED_TRAIL"), labels=None))
def logging_coverage(graph: nx.MultiDiGraph, params: Mapping[str, Any]) -> Rows:
    trails = [attrs for node, attrs in graph.nodes(data=True) if node[0] == "CloudTrailTrail"]
    rows = []
    for account, region in _places(graph):
        covering = [t for t in trails if _covers(t, account, region)]
        arns = sorted(t.get("arn") for t in covering)
        types = {x for t in covering for x in t.get("data_event_types") or []}
        if not covering:
            rows.append({"account": account, "region": region, "gap": "no-logging-trail", "trails": []})
            continue
        if S3_DATA not in types:
            rows.append({"account": account, "region": region, "gap": "no-s3-data-events", "trails": arns})
        if not any(x.startswith(AI_DATA_PREFIXES) for x in types):
            rows.append({"account": account, "region": region, "gap": "no-ai-data-events", "trails": arns})
        if all(t.get("management_read_write") == "WriteOnly" for t in covering):
            # read-only management calls (Comprehend and Rekognition analysis, Describe*) go unrecorded
            rows.append({"account": account, "region": region, "gap": "no-ai-read-events", "trails": arns})
    for t in trails:
        if t.get("is_logging") is False:
            rows.append({"account": t.get("account_id"), "region": t.get("home_region"), "gap": "trail-not-logging",
                         "trails": [t.get("arn")]})
    for src, dst, _, r in typed_edges(graph, "CHANGED_TRAIL"):
        if src[0] == "AWSPrincipal":
            t = graph.nodes[dst]
            for operation in r.get("operations") or []:
                rows.append({"account": t.get("account_id"), "region": t.get("home_region"),
                             "gap": f"trail-changed:{operation}", "trails": [t.get("arn")]})
    return _distinct(rows)


def _distinct(rows: Rows) -> Rows:
    seen, out = set(), []
    for row in rows:
        key = (row["account"], row["region"], row["gap"], tuple(sorted(row["trails"])))
        if key not in seen:
            seen.add(key)
            out.append(row)
    return out


# --- short-log-retention -----------------------------------------------------------------------------


@answers("short-log-retention", GraphReads(edges=("DELIVERS_TO",), labels=("LogGroup", "S3Bucket")))
def short_log_retention(graph: nx.MultiDiGraph, params: Mapping[str, Any]) -> Rows:
    rows = []
    for node, attrs in graph.nodes(data=True):
        if node[0] not in ("LogGroup", "S3Bucket"):
            continue  # only these keep logs; the rest (S3 objects, mostly) need no senders looked up
        senders = sorted({graph.nodes[src].get("arn") or graph.nodes[src].get("id")
                          for src, _, _ in _in(graph, node, "DELIVERS_TO")})
        if node[0] == "LogGroup":
            days = attrs.get("retention_days")
            log_group = bool(senders) or str(attrs.get("name") or "").startswith("/aws/bedrock/")
            if not log_group or attrs.get("never_expires") is not False or days is None or days >= MIN_RETENTION_DAYS:
                continue
            rows.append({"resource": attrs.get("arn"), "resource_type": "log-group", "account": attrs.get("account_id"),
                         "retention_days": days, "delivered_by": senders})
        elif node[0] == "S3Bucket":
            days = attrs.get("lifecycle_expiration_days")
            if not senders or attrs.get("lifecycle_expires") is not True or days is None \
                    or days >= MIN_RETENTION_DAYS:
                continue
            rows.append({"resource": attrs.get("arn"), "resource_type": "bucket", "account": attrs.get("account_id"),
                         "retention_days": days, "delivered_by": senders})
    return rows
