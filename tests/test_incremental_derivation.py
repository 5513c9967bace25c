"""The derivation after a load re-derives only what the load changed, and gives what a full derivation gives.

Corpus: the generator's seeded 1,000-record platform (as tests/test_split_invariance.py), loaded in three
parts, then three loads of policy changes that affect principals whose own records do not change, then the
first part again. After each load the store is dumped, derived again in full (`refresh_access`) and dumped
again: both dumps (every node with its properties, PolicyState validity included, and every edge) must be
equal. The changes: the trust policy of TrainingDataAccess, a role others reach through a chain of
assumptions (MLEngineer -> TrainingDataAccess), and a bucket policy opening acme-models-training to another
account; a key policy; an SCP (organisation-wide: derived in full).
"""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from graph_dump import dump
from helpers import wipe_neo4j

from graphgov.access.derivation import refresh_access
from graphgov.access.incremental import derive_after_load
from graphgov.access.marker import read as read_marker
from graphgov.access.marker import register
from graphgov.generate import generate
from graphgov.ingest.pipeline import load_paths
from graphgov.ingest.readers import expand_paths
from graphgov.stores.embedded import EmbeddedStore

LATER = "2026-01-05T02:00:00Z"  # after every record of the corpus: the changes are the latest evidence
TRUST = {"Version": "2012-10-17", "Statement": [{
    "Sid": "OnlyMLEngineer", "Effect": "Allow", "Action": "sts:AssumeRole",
    "Principal": {"AWS": "arn:aws:iam::222222222222:role/MLEngineer"}}]}
BUCKET = {"Version": "2012-10-17", "Statement": [{
    "Sid": "OpsReads", "Effect": "Allow", "Action": "s3:GetObject",
    "Principal": {"AWS": "arn:aws:iam::333333333333:role/MLOps"}, "Resource": "arn:aws:s3:::acme-models-training/*"}]}
KEY = {"Version": "2012-10-17", "Statement": [{
    "Sid": "OnlyTheAccount", "Effect": "Allow", "Action": "kms:*",
    "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Resource": "*"}]}
SCP = {"Version": "2012-10-17", "Statement": [{
    "Sid": "NoModelReads", "Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-models-*/*"}]}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("corpus")
    generate(root, seed=0, records=1000)
    return expand_paths([root])


def _records(files: list[Path]) -> list[dict[str, Any]]:
    out = []
    for path in files:
        if "CloudTrail" in path.parts and "CloudTrail-Digest" not in path.parts and path.name.endswith(".json.gz"):
            with gzip.open(path, "rt") as handle:
                out += json.load(handle).get("Records", [])
    return out


def _change(template: dict[str, Any], number: int, name: str, params: dict[str, Any]) -> dict[str, Any]:
    """A later call made from a corpus record of the same service (its caller, account, region)."""
    record = copy.deepcopy(template)
    record.update(eventName=name, eventTime=LATER.replace("02:00", f"02:{number:02d}"),
                  eventID=f"00000000-0000-4000-8000-{number:012d}", requestParameters=params, responseElements=None)
    record.pop("sharedEventID", None)
    return record


def _changes(corpus: list[Path], tmp_path: Path) -> list[Path]:
    """Three files of policy changes, each the only file of its load."""
    records = _records(corpus)

    def first(name: str, **wanted: str) -> dict[str, Any]:
        return next(r for r in records if r["eventName"] == name
                    and all(r["requestParameters"].get(k) == v for k, v in wanted.items()))

    trust = _change(first("UpdateAssumeRolePolicy", roleName="TrainingDataAccess"), 1, "UpdateAssumeRolePolicy",
                    {"roleName": "TrainingDataAccess", "policyDocument": json.dumps(TRUST)})
    bucket = _change(first("PutBucketPolicy", bucketName="acme-models-training"), 2, "PutBucketPolicy",
                     {"bucketName": "acme-models-training", "bucketPolicy": BUCKET})
    key_template = first("PutKeyPolicy")
    key = _change(key_template, 3, "PutKeyPolicy", {**key_template["requestParameters"], "policy": json.dumps(KEY)})
    scp_template = first("CreatePolicy", type="SERVICE_CONTROL_POLICY")
    scp = _change(scp_template, 4, "UpdatePolicy", {"policyId": "p-7k2m9q4x", "content": json.dumps(SCP)})
    files = []
    for index, batch in enumerate(([trust, bucket], [key], [scp])):
        path = tmp_path / f"changes-{index}.json"
        path.write_text(json.dumps({"Records": batch}))
        files.append(path)
    return files


def _derived(graph: dict[str, list[str]]) -> list[str]:
    return [e for e in graph["edges"] if '"type": "CAN_' in e or '"type": "INPUT_READABLE_BY"' in e]


def test_each_load_derives_only_what_changed_and_equals_a_full_derivation(store, corpus, tmp_path):
    parts = [corpus[i::3] for i in range(3)]
    loads = [*parts, *([path] for path in _changes(corpus, tmp_path)), parts[0]]
    embedded = isinstance(store, EmbeddedStore)
    if embedded:
        store.close()  # each load opens the file, as separate `graphgov load` commands do
    else:
        wipe_neo4j(store)
    modes, previous = [], None
    for index, files in enumerate(loads):
        opened = EmbeddedStore(store.path) if embedded else store
        summary = load_paths(files, opened, tmp_path / "q.jsonl")
        access = summary.access
        modes.append(access.get("derived", "full"))
        after_load = dump(opened)
        full = refresh_access(opened)
        assert after_load == dump(opened), f"load {index} ({modes[-1]}) differs from a full derivation"
        assert access["edges"] == full.edges, f"load {index}"
        if 3 <= index <= 5:  # every policy change changes derived answers
            assert _derived(after_load) != previous, f"load {index}"
        previous = _derived(after_load)
        if embedded:
            opened.close()
    # the first part again writes no evidence: nothing is derived (the pending layer, the one cross-account call
    # whose caller's copy is not in the corpus, is put back without its derived edges: they are put back too)
    assert modes == ["full", "full", "full", "incremental", "incremental", "full", "unchanged"]
    assert (access["decisions"], summary.loaded) == (0, 0)


def test_a_load_of_nothing_new_derives_nothing_and_says_so(store, tmp_path):
    embedded = isinstance(store, EmbeddedStore)
    if embedded:
        store.close()
    else:
        wipe_neo4j(store)
    chain = Path(__file__).parent / "fixtures" / "access" / "three-account-chain.json"
    first = load_paths([chain], EmbeddedStore(store.path) if embedded else store, tmp_path / "q.jsonl")
    again = load_paths([chain], EmbeddedStore(store.path) if embedded else store, tmp_path / "q.jsonl")
    assert (first.loaded, again.loaded, again.skipped["duplicate"]) == (9, 0, 9)
    assert first.access == {"policy_states": 8, "principals": 5, "targets": 11, "decisions": 23, "edges": {
        "CAN_ASSUME": 6, "CAN_READ": 5, "CAN_WRITE": 2, "INPUT_READABLE_BY": 4}}
    assert again.access == {**first.access, "decisions": 0, "derived": "unchanged"}


def test_a_derivation_while_another_load_writes_leaves_the_next_one_full(store, tmp_path):
    """Two loads at once: the first one's derivation read part of the second's evidence, so the second cannot
    derive incrementally from it (tests/test_concurrency.py lost cross-account edges that way)."""
    if isinstance(store, EmbeddedStore):
        store.close()
        store = EmbeddedStore(store.path)
    else:
        wipe_neo4j(store)
    register(store, "the-other-load")
    chain = Path(__file__).parent / "fixtures" / "access" / "three-account-chain.json"
    during = load_paths([chain], store, tmp_path / "q.jsonl")
    marker = read_marker(store)
    assert (during.loaded, marker.digests, sorted(marker.pending)) == (9, None, ["the-other-load"])
    after = derive_after_load(store, run="the-other-load")
    marker = read_marker(store)
    assert (after.mode, marker.pending, marker.digests is not None) == ("full", {}, True)


@pytest.mark.parametrize("named", [False, True])
def test_a_state_a_pending_copy_brought_keeps_its_validity_when_derived_again(corpus, tmp_path, named):
    """The trail folder's membership rides on the first record of a delivery file; when that record is a pending
    copy (the owner's copy of account 555555555555's assumption: its caller's trail is not in the corpus), the
    pending layer makes the membership's PolicyState. A write under the layer reverts it and makes it again, as
    the copy wrote it: the derivation's marker write (and, `named`, its write of a principal only a trust policy
    names) dropped the `current` an earlier derivation had set, so a derivation run again differed from the one
    after the load (tests/test_incremental_property.py, seed 208)."""
    records = _records(corpus)
    lone = next(r for r in records if r.get("sharedEventID") and not r["userIdentity"].get("arn")
                and sum(s.get("sharedEventID") == r["sharedEventID"] for s in records) == 1)
    role = next(r for r in records if r["eventName"] == "CreateRole"
                and "LabelingVendorAccess" in r["requestParameters"]["roleName"])
    folder = tmp_path / "AWSLogs" / "o-exampleorg1" / lone["recipientAccountId"] / "CloudTrail" / "us-east-1"
    folder.mkdir(parents=True)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"AWS": "arn:aws:iam::777777777777:root"}}]}
    vendor = _change(role, 5, "UpdateAssumeRolePolicy", {"roleName": role["requestParameters"]["roleName"],
                                                         "policyDocument": json.dumps(trust)})
    (folder / "trail.json").write_text(json.dumps({"Records": [lone, role, *([vendor] if named else [])]}))
    store = EmbeddedStore(tmp_path / "graph.db")
    load_paths([folder / "trail.json"], store, tmp_path / "q.jsonl")
    after_load = dump(store)
    store.close()
    store = EmbeddedStore(tmp_path / "graph.db")  # as `graphgov load` and then another command
    refresh_access(store)
    assert dump(store) == after_load
    state = f"{lone['recipientAccountId']}|organization|snapshot|o-exampleorg1"
    membership = dict(store.scan_nodes("PolicyState"))[state]
    assert (membership["current"], membership["operation"]) == (True, "trail-folder")
    principals = dict(store.scan_nodes("AWSPrincipal"))
    assert ("arn:aws:iam::777777777777:root" in principals) is named  # a principal only the trust names
