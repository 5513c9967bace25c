"""Data that moves in S3, on both stores: writers named only by principal id in notifications, copies,
replication and access points (issue 11, "Lineage"). Fixtures: tests/fixtures/s3-movement (README)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import FIXTURES, write_json

from graphgov.core import ids
from graphgov.ingest.classify import classify
from graphgov.ingest.pipeline import load_paths
from graphgov.questions.catalog import ask
from loaders import cloudtrail, replication

MOVES = FIXTURES / "s3-movement"
CHAIN = FIXTURES / "lineage/cross-account-chain.json"
ENDPOINT = "arn:aws:sagemaker:eu-west-1:333333333333:endpoint/fraud-endpoint"
MODEL = "arn:aws:sagemaker:eu-west-1:333333333333:model/fraudmodel"
MODEL_V2 = "arn:aws:sagemaker:eu-west-1:333333333333:model/fraudmodel-v2"
JOB = "arn:aws:sagemaker:eu-west-1:222222222222:training-job/fraud-xgb-2024"
WRITER_ROLE = "arn:aws:iam::111111111111:role/Writer"
UPLOADER = "arn:aws:iam::111111111111:user/uploader"


def _chain_without_writes(tmp_path: Path) -> Path:
    """The three-account chain's jobs, models and endpoint, without its CloudTrail PutObject records."""
    records = [r for r in json.loads(CHAIN.read_text())["Records"] if r["eventName"] != "PutObject"]
    return write_json(tmp_path / "chain.json", {"Records": records})


def _load(store, tmp_path: Path, paths: list[Path]) -> None:
    for path in paths:  # one load per file: the order of loads is the order of the list
        summary = load_paths([path], store, tmp_path / "q.jsonl")
        assert summary.quarantined == 0, path


WRITER_ROWS = [
    {"training_job": JOB, "channel": "train", "dataset": "s3://acme-data-a/fraud/train",
     "dataset_writers": [WRITER_ROLE, "unresolved:AROAEXAMPLEGHOST:ghost-session"], "via": None, "link": "direct"},
    {"training_job": JOB, "channel": "validation", "dataset": "s3://acme-data-a/fraud/validation/",
     "dataset_writers": [UPLOADER], "via": None, "link": "direct"},
]


@pytest.mark.parametrize("order", ["notifications-first", "identities-first"])
def test_notification_writers_resolve_by_principal_id_whatever_the_load_order(store, tmp_path, order):
    notifications, identities = MOVES / "notifications-writers.json", MOVES / "writer-identities.json"
    paths = [notifications, identities] if order == "notifications-first" else [identities, notifications]
    _load(store, tmp_path, [_chain_without_writes(tmp_path), *paths])
    assert ask(store, "model-lineage", {"model": "FraudModel"}) == [{"model": MODEL, **r} for r in WRITER_ROWS]
    assert ask(store, "endpoint-lineage", {"endpoint": "Fraud-Endpoint"}) == [
        {"endpoint": ENDPOINT, "model": MODEL, **r} for r in WRITER_ROWS] + [
        {"endpoint": ENDPOINT, "model": MODEL_V2, "training_job": None, "channel": None, "dataset": None,
         "dataset_writers": [], "via": None, "link": None}]


def test_a_writer_no_evidence_names_is_unresolved_not_dropped(store, tmp_path):
    _load(store, tmp_path, [_chain_without_writes(tmp_path), MOVES / "notifications-writers.json"])
    rows = ask(store, "model-lineage", {"model": "FraudModel"})
    assert [r["dataset_writers"] for r in rows] == [
        ["unresolved:AROAEXAMPLEGHOST:ghost-session", "unresolved:AROAEXAMPLEWRITER:writer-session"],
        ["unresolved:AIDAEXAMPLEUPLOADER"]]


# --- copies -------------------------------------------------------------------------------------------

C = "444455556666"
CHURN = f"arn:aws:sagemaker:eu-west-1:{C}:training-job/customer-churn"
COPIER = f"arn:aws:iam::{C}:role/Copier"
SOURCE = "arn:aws:s3:::acme-raw/customers/2024.csv"


def test_copy_records_link_the_copy_to_its_source_with_the_copier_and_the_directive():
    records = json.loads((MOVES / "copies.json").read_text())["Records"]
    found = {}
    for record in records[1:5]:
        delta = cloudtrail.parse(record)
        found[record["eventName"] + ":" + record["requestParameters"]["key"]] = sorted(
            (e.type, e.src, e.dst, tuple(e.props.get("tagging_directives", ()))) for e in delta.edges
            if e.type in ("READ", "WROTE", "COPIED_FROM"))
    copy = "arn:aws:s3:::acme-train/"
    assert found == {
        "CopyObject:copies/customers.csv": [
            ("COPIED_FROM", copy + "copies/customers.csv", SOURCE, ("COPY",)),
            ("READ", COPIER, SOURCE, ()), ("WROTE", COPIER, copy + "copies/customers.csv", ())],
        "CopyObject:replaced/customers.csv": [
            ("COPIED_FROM", copy + "replaced/customers.csv", SOURCE, ("REPLACE",)),
            ("READ", COPIER, SOURCE, ()), ("WROTE", COPIER, copy + "replaced/customers.csv", ())],
        "CopyObject:relabelled/readme.csv": [
            ("COPIED_FROM", copy + "relabelled/readme.csv", "arn:aws:s3:::acme-raw/public/readme.csv", ("REPLACE",)),
            ("READ", COPIER, "arn:aws:s3:::acme-raw/public/readme.csv", ()),
            ("WROTE", COPIER, copy + "relabelled/readme.csv", ())],
        "UploadPartCopy:parts/customers.csv": [  # the source's versionId is not part of its key
            ("COPIED_FROM", copy + "parts/customers.csv", SOURCE, ("PART",)),
            ("READ", COPIER, SOURCE, ()), ("WROTE", COPIER, copy + "parts/customers.csv", ())],
    }
    tags = {n.key: n.props["tags"] for r in records[2:4] for n in cloudtrail.parse(r).nodes if "tags" in n.props}
    assert tags == {copy + "replaced/customers.csv": [],  # REPLACE without x-amz-tagging: an untagged copy
                    copy + "relabelled/readme.csv": ["classification=personal", "team=ml"]}


COPY_CLASSES = [
    {"dataset": "s3://acme-train/copies/", "classification": ["personal"],
     "why": [f"object-tag:arn:aws:s3:::acme-train/copies/customers.csv (copy of {SOURCE}):pii=true"]},
    {"dataset": "s3://acme-train/parts/", "classification": ["personal"],
     "why": [f"object-tag:arn:aws:s3:::acme-train/parts/customers.csv (copy of {SOURCE}):pii=true"]},
    {"dataset": "s3://acme-train/relabelled/", "classification": ["personal"],
     "why": ["object-tag:arn:aws:s3:::acme-train/relabelled/readme.csv:classification=personal"]},
]  # replaced/ is absent: a REPLACE copy whose request gave no tags carries no classification


@pytest.mark.parametrize("split", ["one-file", "copies-before-tagging"])
def test_classification_follows_copies_by_tagging_directive(store, tmp_path, split):
    records = json.loads((MOVES / "copies.json").read_text())["Records"]
    if split == "one-file":
        paths = [MOVES / "copies.json"]
    else:  # the source is tagged in a file loaded after the copies
        paths = [write_json(tmp_path / "a.json", {"Records": records[1:]}),
                 write_json(tmp_path / "b.json", {"Records": records[:1]})]
    _load(store, tmp_path, paths)
    assert classify(store) == COPY_CLASSES
    assert ask(store, "personal-data-in-training") == [
        {"dataset": r["dataset"], "bucket": "acme-train", "classification": ["personal"], "jobs": [CHURN],
         "derived_jobs": [], "readers": []} for r in COPY_CLASSES]


# --- access points ------------------------------------------------------------------------------------

L, P = "555566667777", "888899990000"
ALIAS = "train-ap-hrzrlukc5m36ft7okagglf3gmwluquse1b-s3alias"
LAKE_AP = f"arn:aws:s3:eu-west-1:{L}:accesspoint/train-ap"
PARTNER_AP = f"arn:aws:s3:eu-west-1:{P}:accesspoint/partner-ap"
LAKE_DATASET = f"s3://{ALIAS}/records/"
LAKE_OBJECT = "arn:aws:s3:::acme-lake/records/a.csv"


def test_access_point_arns_and_aliases_are_recognised():
    point = ids.parse_access_point_arn(f"{PARTNER_AP}/object/records/a.csv")
    assert (point.arn, point.account, point.region, point.name, point.key) == (
        PARTNER_AP, P, "eu-west-1", "partner-ap", "records/a.csv")
    assert ids.parse_access_point_arn("arn:aws:s3:::acme-lake/records/a.csv") is None  # a bucket-form object ARN
    assert ids.is_access_point_alias(ALIAS) and not ids.is_access_point_alias("acme-lake")
    assert ids.parse_s3_uri(f"{LAKE_AP}/object/records/") == ids.S3Location(LAKE_AP, "records/")
    source = "arn%3Aaws%3As3%3Aeu-west-1%3A888899990000%3Aaccesspoint%2Fpartner-ap%2Fobject%2Frecords%2Fa.csv"
    assert ids.parse_copy_source(source) == ids.S3Location(PARTNER_AP, "records/a.csv")  # CopyObject API reference


def _edges(store, edge_type: str) -> dict:
    return {(s[1], d[1]): a for s, d, a in store.scan_edges(edge_type)}


@pytest.mark.parametrize("order", ["created-first", "created-last"])
def test_data_named_by_an_access_point_resolves_to_its_bucket(store, tmp_path, order):
    created, used = MOVES / "access-point-created.json", MOVES / "access-point-use.json"
    paths = [created, used] if order == "created-first" else [used, created]
    summaries = [load_paths([path], store, tmp_path / "q.jsonl") for path in paths]
    assert sum(s.skipped["access_point_bucket_unknown"] for s in summaries) == 1  # only the alias, no bucket
    assert sorted(key for key, _ in store.scan_nodes("S3Bucket")) == ["acme-lake", "acme-lake-models"]
    assert sorted((s, d) for s, d in _edges(store, "POINTS_TO")) == [(LAKE_AP, "acme-lake"), (PARTNER_AP, "acme-lake")]
    points = dict(store.scan_nodes("S3AccessPoint"))
    assert {k: points[LAKE_AP].get(k) for k in ("alias", "bucket", "bucket_account_id", "account_id")} == {
        "alias": ALIAS, "bucket": "acme-lake", "bucket_account_id": L, "account_id": L}
    dataset = dict(store.scan_nodes("Dataset"))[LAKE_DATASET]
    assert (dataset["bucket"], dataset["prefix"], dataset["access_point"]) == ("acme-lake", "records/", ALIAS)
    assert sorted(_edges(store, "IN_BUCKET")) == [
        ("s3://acme-lake-models/Lake-Train/output/model.tar.gz", "acme-lake-models"), (LAKE_DATASET, "acme-lake")]
    assert list(_edges(store, "IN_DATASET")) == [(LAKE_OBJECT, LAKE_DATASET)]
    reads = {s: (a.get("cross_account"), a.get("access_points")) for (s, _), a in _edges(store, "READ").items()}
    assert reads == {f"arn:aws:iam::{P}:role/PartnerReader": (True, [PARTNER_AP]),
                     f"arn:aws:iam::{L}:role/Auditor": (True, [PARTNER_AP])}  # another account's access point
    wrote = {s: (a.get("cross_account"), a.get("access_points")) for (s, _), a in _edges(store, "WROTE").items()}
    assert wrote == {f"arn:aws:iam::{L}:role/Loader": (False, [LAKE_AP])}
    assert ask(store, "cross-account-exposure") == [
        {"resource": LAKE_DATASET, "resource_account": L, "principal": f"arn:aws:iam::{P}:role/PartnerReader",
         "principal_account": P, "access": "observed", "via": ["cloudtrail:GetObject"]},
        # the other account's access point exposes the bucket to that account, as far as the bucket policy
        # (never seen) lets it (tests/test_access_point_policies.py has the policies)
        {"resource": LAKE_DATASET, "resource_account": L, "principal": f"arn:aws:iam::{P}:root",
         "principal_account": P, "access": "unknown",
         "via": [f"access-point:{PARTNER_AP}", "unknown:bucket-policy:acme-lake"]}]


# --- replication --------------------------------------------------------------------------------------

S, D = "121212121212", "999900001111"


@pytest.mark.parametrize("split", ["one-file", "rule-loaded-last"])
def test_replication_rules_make_replicas_that_carry_classification_and_expose_the_destination(store, tmp_path,
                                                                                              split):
    records = json.loads((MOVES / "replication.json").read_text())["Records"]
    if split == "one-file":
        paths = [MOVES / "replication.json"]
    else:  # the configuration arrives after the objects it governs
        rule = next(r for r in records if r["eventName"] == "PutBucketReplication")
        paths = [write_json(tmp_path / "objects.json", {"Records": [r for r in records if r is not rule]}),
                 write_json(tmp_path / "rule.json", {"Records": [rule]})]
    _load(store, tmp_path, paths)
    replicas = {(s[1], d[1]): (a["rules"], a["replicated_at"], a.get("destination_account"),
                               a.get("destination_principal")) for s, d, a in store.scan_edges("REPLICA_OF")}
    assert replicas == {
        ("arn:aws:s3:::partner-landing/customers/c1.csv", "arn:aws:s3:::acme-src/customers/c1.csv"): (
            ["to-partner"], "2024-08-03T09:00:00Z", D, f"arn:aws:iam::{D}:root"),
        ("arn:aws:s3:::acme-exports-replica/exports/e1.csv", "arn:aws:s3:::acme-src/exports/e1.csv"): (
            ["shared-exports"], "2024-08-03T09:03:00Z", None, None),
    }  # none for customers/before.csv (written before the rule), other/ (no rule's prefix), e2 (tag share=no)
    assert classify(store) == [
        {"dataset": "s3://acme-src/customers/", "classification": ["personal"],
         "why": ["object-tag:arn:aws:s3:::acme-src/customers/c1.csv:pii=true"]},
        {"dataset": "s3://partner-landing/customers/", "classification": ["personal"],
         "why": ["object-tag:arn:aws:s3:::partner-landing/customers/c1.csv "
                 "(copy of arn:aws:s3:::acme-src/customers/c1.csv):pii=true"]}]
    assert [(r["dataset"], r["jobs"]) for r in ask(store, "personal-data-in-training")] == [
        ("s3://acme-src/customers/", [f"arn:aws:sagemaker:eu-west-1:{S}:training-job/source-train"]),
        ("s3://partner-landing/customers/", [f"arn:aws:sagemaker:eu-west-1:{D}:training-job/partner-train"])]
    assert ask(store, "cross-account-exposure") == [
        {"resource": "s3://acme-src/customers/", "resource_account": S, "principal": f"arn:aws:iam::{D}:root",
         "principal_account": D, "access": "potential", "via": ["replication:to-partner:partner-landing"]}]


def test_a_manifest_dataset_in_a_replicated_bucket_is_unknown_exposure_not_none(store, tmp_path):
    """A ManifestFile input reads only the keys its manifest lists (SageMaker API reference, S3DataSource):
    unread, they may be among the objects S3 replicates to the partner, so the partner's access is `unknown`
    and names the missing evidence; a manifest in a bucket nothing replicates gets no such row."""
    records = json.loads((MOVES / "replication.json").read_text())["Records"]
    source = next(r for r in records if r["eventName"] == "CreateTrainingJob"
                  and r["requestParameters"]["trainingJobName"] == "Source-Train")
    jobs = []
    for index, (name, uri) in enumerate((("Manifest-Train", "s3://acme-src/manifests/train.manifest"),
                                         ("Models-Manifest-Train", "s3://models-121212121212/m/train.manifest"))):
        job = json.loads(json.dumps(source))
        job["eventID"] = f"4e900000-0000-4000-8000-0000000001{index}0"
        job["requestParameters"]["trainingJobName"] = name
        job["requestParameters"]["inputDataConfig"][0]["dataSource"]["s3DataSource"].update(
            s3DataType="ManifestFile", s3Uri=uri)
        job["responseElements"] = {"trainingJobArn": f"arn:aws:sagemaker:eu-west-1:{S}:training-job/{name.lower()}"}
        jobs.append(job)
    _load(store, tmp_path, [MOVES / "replication.json", write_json(tmp_path / "jobs.json", {"Records": jobs})])
    assert ask(store, "cross-account-exposure") == [
        {"resource": "s3://acme-src/customers/", "resource_account": S, "principal": f"arn:aws:iam::{D}:root",
         "principal_account": D, "access": "potential", "via": ["replication:to-partner:partner-landing"]},
        {"resource": "s3://acme-src/manifests/train.manifest", "resource_account": S,
         "principal": f"arn:aws:iam::{D}:root", "principal_account": D, "access": "unknown",
         "via": ["replication:to-partner:partner-landing",
                 "unknown:manifest-members:s3://acme-src/manifests/train.manifest"]}]


def test_replication_rules_in_every_documented_filter_form_and_a_trimmed_record():
    legacy = {"ID": "old", "Prefix": "logs/", "Status": "Enabled", "Destination": {"Bucket": "arn:aws:s3:::dst"}}
    assert replication.normal_rule(legacy) == {
        "ID": "old", "Priority": None, "Status": "Enabled", "Prefix": "logs/", "Tags": [],
        "SseKmsEncryptedObjects": None, "ExistingObjectReplication": None,
        "Destination": {"Bucket": "dst", "Account": None, "OwnerOverride": False, "ReplicaKmsKeyID": None}}
    tagged = {"Status": "Disabled", "Filter": {"And": {"Prefix": "a/", "Tag": [{"Key": "k", "Value": "v"},
                                                                                {"Key": "j", "Value": "w"}]}},
              "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}},
              "Destination": {"Bucket": "arn:aws:s3:::dst", "Account": D,
                              "EncryptionConfiguration": {"ReplicaKmsKeyID": "arn:aws:kms:eu-west-1:1:key/x"}}}
    rule = replication.normal_rule(tagged)
    assert (rule["Prefix"], rule["Tags"], rule["Status"], rule["SseKmsEncryptedObjects"]) == (
        "a/", ["j=w", "k=v"], "Disabled", "Enabled")
    record = next(r for r in json.loads((MOVES / "replication.json").read_text())["Records"]
                  if r["eventName"] == "PutBucketReplication")
    del record["requestParameters"]["ReplicationConfiguration"]  # as some exporters trim it
    (state,) = [n for n in cloudtrail.parse(record).nodes if n.type == "PolicyState"]
    assert (state.props["slot"], json.loads(state.props["document"])) == ("replication", {"RulesUnknown": True})


def test_an_eventbridge_requester_known_only_by_account_is_unresolved_unless_cloudtrail_names_the_writer(
        store, tmp_path):
    events = [MOVES / "eventbridge-created-1.json", MOVES / "eventbridge-created-2.json"]
    _load(store, tmp_path, [_chain_without_writes(tmp_path), *events])
    rows = ask(store, "model-lineage", {"model": "FraudModel"})
    assert [r["dataset_writers"] for r in rows] == [["unresolved:account:111111111111"], []]
    _load(store, tmp_path, [CHAIN])  # CloudTrail names the writer of part-0001.csv, in that account
    rows = ask(store, "model-lineage", {"model": "FraudModel"})
    assert [r["dataset_writers"] for r in rows] == [
        ["arn:aws:iam::111111111111:role/DataEngineer", "arn:aws:iam::111111111111:role/LegacyLoader",
         "unresolved:account:111111111111"],  # part-0300.csv: no CloudTrail record
        ["arn:aws:iam::111111111111:role/DataEngineer"]]


def test_a_dataset_named_by_access_point_arn_resolves_too(store, tmp_path):
    records = json.loads((MOVES / "access-point-use.json").read_text())["Records"]
    job = records[-1]
    arn_uri = f"{LAKE_AP}/object/records/"
    job["requestParameters"]["inputDataConfig"][0]["dataSource"]["s3DataSource"]["s3Uri"] = arn_uri
    use = write_json(tmp_path / "use.json", {"Records": records})
    _load(store, tmp_path, [use, MOVES / "access-point-created.json"])
    datasets = {uri: (a["bucket"], a["prefix"], a["access_point"]) for uri, a in store.scan_nodes("Dataset")}
    assert datasets == {f"s3://{LAKE_AP}/records/": ("acme-lake", "records/", LAKE_AP)}
    assert sorted(key for key, _ in store.scan_nodes("S3Bucket")) == ["acme-lake", "acme-lake-models"]
    assert list(_edges(store, "IN_DATASET")) == [(LAKE_OBJECT, f"s3://{LAKE_AP}/records/")]
