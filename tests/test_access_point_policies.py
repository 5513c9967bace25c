"""Access point policies take part in access decisions (issue 11, "Access points"), on both stores.

Fixture: tests/fixtures/s3-movement/access-point-policies.json (README), written from the S3 User Guide,
"Configuring IAM policies for using access points" (docs.aws.amazon.com/AmazonS3/latest/userguide/
access-points-policies.html): a request through an access point needs the access point policy and the
bucket policy (and the identity side, under the usual same/cross-account rules); a bucket policy hands
its decision to access points with a condition on `s3:DataAccessPointAccount`.

Account B (246813579024) owns three buckets and the roles Analyst, Intern and Owner, whose identity
policies grant no S3 action. acme-corpus delegates to access points of B and of X (135792468013);
corpus-ap (B) grants Analyst and account Y (777788889999); partner-ap (X) has no policy. acme-sealed
grants Owner and does not delegate; sealed-ap grants Analyst. acme-lab delegates to B; lab-ap is known
only from a read through it, so its policy was never seen.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from helpers import FIXTURES, write_json

from graphgov.access.effective import Labeled, Layer, PolicySet, Request, decide_layers
from graphgov.access.policy import parse_policy
from graphgov.core.delta import Malformed
from graphgov.ingest.pipeline import load_paths
from graphgov.questions.catalog import ask
from loaders import cloudtrail
from loaders.access_points import PUBLIC_ACCESS_FLAGS

FIXTURE = FIXTURES / "s3-movement" / "access-point-policies.json"
B, X, Y = "246813579024", "135792468013", "777788889999"
R = "eu-west-1"
ANALYST, INTERN, OWNER = (f"arn:aws:iam::{B}:role/{r}" for r in ("Analyst", "Intern", "Owner"))
CORPUS_AP, PARTNER_AP = f"arn:aws:s3:{R}:{B}:accesspoint/corpus-ap", f"arn:aws:s3:{R}:{X}:accesspoint/partner-ap"
SEALED_AP, LAB_AP = f"arn:aws:s3:{R}:{B}:accesspoint/sealed-ap", f"arn:aws:s3:{R}:{B}:accesspoint/lab-ap"
CORPUS = "s3://corpus-ap-q3vx8k2mfh7tzn5wjr0bdc6ly4pse1a-s3alias/corpus/"
SEALED, LAB = "s3://acme-sealed/sealed/", "s3://acme-lab/lab/"
SAGEMAKER = "sagemaker.amazonaws.com"


def _records() -> list[dict]:
    return json.loads(FIXTURE.read_text())["Records"]


def _load(store, tmp_path: Path, paths: list[Path]) -> None:
    for path in paths:
        summary = load_paths([path], store, tmp_path / "q.jsonl")
        assert summary.quarantined == 0, path


def _lab(principal: str, account: str | None, extra: tuple[str, ...] = ()) -> dict:
    return {"dataset": LAB, "principal": principal, "account": account, "access": "unknown", "via": sorted([
        f"access-point:{LAB_AP}", "bucket-policy:acme-lab#DelegateToOwnAccessPoints",
        f"unknown:access-point-policy:{LAB_AP}", *extra])}


def _trust(role: str) -> tuple[str, str]:
    return f"assume:{role}", f"trust:{role}#SageMaker"


ANALYST_CORPUS = [f"access-point-policy:{CORPUS_AP}#AnalystReadsCorpus", f"access-point:{CORPUS_AP}",
                  "bucket-policy:acme-corpus#DelegateToOwnAccessPoints"]
READERS = [
    _lab("*", None), _lab(ANALYST, B), _lab(INTERN, B), _lab(OWNER, B),
    _lab(SAGEMAKER, None, (*_trust(ANALYST), *_trust(INTERN), *_trust(OWNER))),
    {"dataset": SEALED, "principal": OWNER, "account": B, "access": "potential",
     "via": ["bucket-policy:acme-sealed#OwnerReads"]},
    {"dataset": SEALED, "principal": SAGEMAKER, "account": None, "access": "potential",
     "via": sorted(["bucket-policy:acme-sealed#OwnerReads", *_trust(OWNER)])},
    {"dataset": CORPUS, "principal": f"arn:aws:iam::{X}:root", "account": X, "access": "potential",
     "via": [f"access-point:{PARTNER_AP}", "bucket-policy:acme-corpus#DelegateToPartnerAccessPoints"]},
    {"dataset": CORPUS, "principal": ANALYST, "account": B, "access": "potential", "via": ANALYST_CORPUS},
    {"dataset": CORPUS, "principal": f"arn:aws:iam::{Y}:root", "account": Y, "access": "potential",
     "via": [f"access-point-policy:{CORPUS_AP}#PartnerAccountReads", f"access-point:{CORPUS_AP}",
             "bucket-policy:acme-corpus#DelegateToOwnAccessPoints"]},
    {"dataset": CORPUS, "principal": SAGEMAKER, "account": None, "access": "potential",
     "via": sorted([*ANALYST_CORPUS, *_trust(ANALYST)])},
]


@pytest.mark.parametrize("split", ["one-file", "policies-last"])
def test_readers_through_access_points_need_the_access_point_and_the_bucket_to_allow(store, tmp_path, split):
    if split == "one-file":
        paths = [FIXTURE]
    else:  # the access points and their policies arrive after the jobs that read through them
        records = _records()
        late = [r for r in records if r["eventName"] in ("CreateAccessPoint", "PutAccessPointPolicy")]
        paths = [write_json(tmp_path / "a.json", {"Records": [r for r in records if r not in late]}),
                 write_json(tmp_path / "b.json", {"Records": late})]
    _load(store, tmp_path, paths)
    rows = ask(store, "training-data-readers")
    assert rows == READERS
    pairs = {(r["dataset"], r["principal"]) for r in rows}
    # corpus-ap's policy does not grant Intern, though acme-corpus delegates to access points of B
    assert (CORPUS, INTERN) not in pairs
    # sealed-ap's policy grants Analyst, but acme-sealed has no statement for access points of B
    assert (SEALED, ANALYST) not in pairs
    # and the delegation statements do not open the buckets to requests that go through no access point
    assert (CORPUS, OWNER) not in pairs


def test_cross_account_exposure_through_access_points(store, tmp_path):
    _load(store, tmp_path, [FIXTURE])
    assert ask(store, "cross-account-exposure") == [
        # lab-ap's policy was never seen: it may be public, as far as the delegating bucket policy goes
        {"resource": LAB, "resource_account": B, "principal": "*", "principal_account": None, "access": "unknown",
         "via": _lab("*", None)["via"]},
        # another account's access point over the bucket, which the bucket policy delegates to
        {"resource": CORPUS, "resource_account": B, "principal": f"arn:aws:iam::{X}:root", "principal_account": X,
         "access": "potential",
         "via": [f"access-point:{PARTNER_AP}", "bucket-policy:acme-corpus#DelegateToPartnerAccessPoints"]},
        # an access point policy granting another account
        {"resource": CORPUS, "resource_account": B, "principal": f"arn:aws:iam::{Y}:root", "principal_account": Y,
         "access": "potential",
         "via": [f"access-point-policy:{CORPUS_AP}#PartnerAccountReads", f"access-point:{CORPUS_AP}",
                 "bucket-policy:acme-corpus#DelegateToOwnAccessPoints"]},
    ]


def _deletion(records: list[dict]) -> dict:
    """DeleteAccessPointPolicy of corpus-ap (S3 Control API Reference, API_control_DeleteAccessPointPolicy:
    `Name` and the account header, no body), two days after the job started."""
    put = next(r for r in records if r["eventName"] == "PutAccessPointPolicy"
               and r["requestParameters"]["name"] == "corpus-ap")
    record = copy.deepcopy(put)
    record["eventName"] = "DeleteAccessPointPolicy"
    del record["requestParameters"]["PutAccessPointPolicyRequest"]
    record.update(eventTime="2026-05-05T08:00:00Z", eventID="ap000000-0000-4000-8000-999999999999",
                  requestID="REQAPPDEL")
    return record


def test_a_deleted_access_point_policy_ends_access_but_not_at_the_time_of_the_job(store, tmp_path):
    records = _records()
    _load(store, tmp_path, [FIXTURE, write_json(tmp_path / "delete.json", {"Records": [_deletion(records)]})])
    corpus = {r["principal"] for r in ask(store, "training-data-readers", {"dataset": CORPUS})}
    assert corpus == {f"arn:aws:iam::{X}:root"}  # Analyst and Y are no longer granted by any document
    job = f"arn:aws:sagemaker:{R}:{B}:training-job/corpus-train"
    at_start = [(r["principal"], r["access"], r["via"]) for r in ask(store, "access-at-training-time", {"job": job})]
    assert at_start == [
        (f"arn:aws:iam::{X}:root", "potential",
         [f"access-point:{PARTNER_AP}", "bucket-policy:acme-corpus#DelegateToPartnerAccessPoints"]),
        (ANALYST, "potential", ANALYST_CORPUS),
        (f"arn:aws:iam::{Y}:root", "potential",
         [f"access-point-policy:{CORPUS_AP}#PartnerAccountReads", f"access-point:{CORPUS_AP}",
          "bucket-policy:acme-corpus#DelegateToOwnAccessPoints"]),
        (SAGEMAKER, "potential", sorted([*ANALYST_CORPUS, *_trust(ANALYST)])),
    ]


def _states(record: dict) -> list[tuple]:
    delta = cloudtrail.parse(record)
    return [(n.props["subject"], n.props["slot"], n.props.get("document"), n.props["deleted"]) for n in delta.nodes
            if n.type == "PolicyState"]


def test_access_point_policy_records_become_policy_history_whatever_their_casing():
    records = _records()
    put = next(r for r in records if r["eventName"] == "PutAccessPointPolicy")
    (state,) = _states(put)
    assert state[:2] == (CORPUS_AP, "access-point-policy") and not state[3]
    assert [s["Sid"] for s in json.loads(state[2])["Statement"]] == ["AnalystReadsCorpus", "PartnerAccountReads"]
    flat = copy.deepcopy(put)  # the body flattened, lower-case keys, the access point named by ARN
    body = flat["requestParameters"].pop("PutAccessPointPolicyRequest")
    flat["requestParameters"] = {"name": CORPUS_AP, "policy": body["Policy"]}
    flat["recipientAccountId"] = X  # the ARN decides the account, not the recipient
    assert _states(flat) == [state]
    assert _states(_deletion(records)) == [(CORPUS_AP, "access-point-policy", None, True)]
    created = next(r for r in records if r["eventName"] == "CreateAccessPoint")
    every_flag = json.dumps(dict.fromkeys(PUBLIC_ACCESS_FLAGS, True), sort_keys=True, separators=(",", ":"))
    assert _states(created) == [(CORPUS_AP, "lifecycle", None, False),  # starts with no policy
                                (CORPUS_AP, "public-access-block", every_flag, False)]  # AWS's default
    empty = copy.deepcopy(put)
    empty["requestParameters"]["PutAccessPointPolicyRequest"].pop("Policy")
    with pytest.raises(Malformed, match="no Policy"):
        cloudtrail.parse(empty)


def _doc(label: str, statement: dict) -> Labeled:
    return Labeled(label, parse_policy({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **statement}]}))


def test_every_layer_must_allow_and_an_unseen_layer_is_unknown_not_a_deny():
    point = f"arn:aws:s3:{R}:{B}:accesspoint/ap"
    request = Request(f"arn:aws:iam::{Y}:role/Reader", "s3:GetObject", "arn:aws:s3:::bkt/k", B,
                      principal_account=Y)
    identity = PolicySet(identity=(_doc("id", {"Action": "s3:GetObject", "Resource": f"{point}/object/*"}),))
    grant = _doc("ap", {"Principal": {"AWS": Y}, "Action": "s3:GetObject", "Resource": f"{point}/object/*"})
    delegate = _doc("bp", {"Sid": "Delegate", "Principal": "*", "Action": "*", "Resource": "arn:aws:s3:::bkt/*",
                           "Condition": {"StringEquals": {"s3:DataAccessPointAccount": B}}})
    context = {"s3:DataAccessPointAccount": B, "s3:DataAccessPointArn": point}

    def layers(point_docs: tuple, bucket_docs: tuple, unseen: str | None = None) -> tuple[Layer, ...]:
        return (Layer(f"{point}/object/k", B, point_docs, unseen=unseen, context=context),
                Layer("arn:aws:s3:::bkt/k", B, bucket_docs, context=context))

    # the identity policy names only the access point, and still counts for the bucket's layer
    allowed = decide_layers(request, identity, layers((grant,), (delegate,)))
    assert (allowed.outcome, allowed.via) == ("allow", ("ap#0", "bp#Delegate", "id#0"))
    assert decide_layers(request, identity, layers((grant,), ())).outcome == "implicit-deny"
    assert decide_layers(request, identity, layers((), (delegate,))).outcome == "implicit-deny"
    unseen = decide_layers(request, identity, layers((), (delegate,), "access-point-policy:ap"))
    assert (unseen.outcome, unseen.via) == ("unknown", ("bp#Delegate", "id#0", "unknown:access-point-policy:ap"))
    other = decide_layers(request, identity, (Layer(f"{point}/object/k", B, (grant,), context=context),
                                              Layer("arn:aws:s3:::bkt/k", B, (delegate,), context={
                                                  **context, "s3:DataAccessPointAccount": X})))
    assert other.outcome == "implicit-deny"  # the delegation names another account's access points


def _public(records: list[dict], flags: dict | None) -> list[dict]:
    """corpus-ap's policy granting everyone; its CreateAccessPoint with `flags` as PublicAccessBlockConfiguration."""
    records = copy.deepcopy(records)
    for record in records:
        params = record["requestParameters"]
        if record["eventName"] == "PutAccessPointPolicy" and params["name"] == "corpus-ap":
            body = params["PutAccessPointPolicyRequest"]
            document = json.loads(body["Policy"])
            document["Statement"].append({"Sid": "Everyone", "Effect": "Allow", "Principal": "*",
                                          "Action": "s3:GetObject", "Resource": f"{CORPUS_AP}/object/*"})
            body["Policy"] = json.dumps(document)
        if record["eventName"] == "CreateAccessPoint" and params["name"] == "corpus-ap" and flags is not None:
            params["CreateAccessPointRequest"]["PublicAccessBlockConfiguration"] = flags
    return records


@pytest.mark.parametrize("blocked", [True, False])
def test_an_access_point_blocks_public_access_unless_created_without_it(store, tmp_path, blocked):
    """S3 User Guide, "Managing public access to access points": every Block Public Access setting is on for a
    new access point unless the request turns it off, and cannot be changed later."""
    flags = None if blocked else dict.fromkeys(PUBLIC_ACCESS_FLAGS, "false")
    _load(store, tmp_path, [write_json(tmp_path / "public.json", {"Records": _public(_records(), flags)})])
    public = [(r["access"], r["via"]) for r in ask(store, "training-data-readers", {"dataset": CORPUS})
              if r["principal"] == "*"]
    assert public == ([] if blocked else [("potential", [f"access-point-policy:{CORPUS_AP}#Everyone",
                                                         f"access-point:{CORPUS_AP}",
                                                         "bucket-policy:acme-corpus#DelegateToOwnAccessPoints"])])


def test_a_weaker_path_through_another_access_point_adds_nothing_to_a_granted_edge(store, tmp_path):
    """A read through audit-ap (acme-corpus; its creation and policy never seen) makes audit-ap known: whoever
    it might serve is unknown, and Analyst's potential edge still names only corpus-ap's grants."""
    audit_ap = f"arn:aws:s3:{R}:{B}:accesspoint/audit-ap"
    read = copy.deepcopy(next(r for r in _records() if r["eventName"] == "GetObject"))
    read["requestParameters"]["bucketName"] = audit_ap
    read["requestParameters"]["key"] = "audit/log.csv"
    read["resources"] = [{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::acme-corpus/audit/log.csv"},
                         {"accountId": B, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::acme-corpus"},
                         {"accountId": B, "type": "AWS::S3::AccessPoint", "ARN": audit_ap}]
    read["eventID"] = "ap000000-0000-4000-8000-888888888888"
    _load(store, tmp_path, [FIXTURE, write_json(tmp_path / "audit.json", {"Records": [read]})])
    rows = {r["principal"]: (r["access"], r["via"]) for r in ask(store, "training-data-readers", {"dataset": CORPUS})}
    assert rows[ANALYST] == ("potential", ANALYST_CORPUS)
    assert rows[INTERN] == ("unknown", [f"access-point:{audit_ap}",
                                        "bucket-policy:acme-corpus#DelegateToOwnAccessPoints",
                                        f"unknown:access-point-policy:{audit_ap}"])
