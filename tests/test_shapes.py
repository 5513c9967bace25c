"""The shape checks at the loaders' edge (loaders.shapes) and the storable-delta check (graphgov.core.delta.validate):
exact errors for misfits, and no false alarm on any real sample."""

from __future__ import annotations

import pytest
from fuzz.seeds import all_seeds

from graphgov.core import ids
from graphgov.core.delta import EdgeRow, GraphDelta, Malformed, NodeRow, validate
from graphgov.ingest.pipeline import parse_record
from graphgov.ingest.readers import RawRecord
from loaders import fields, shapes


def test_every_sample_record_fits_its_shape() -> None:
    specs = {"cloudtrail": shapes.CLOUDTRAIL, "eventbridge": shapes.EVENTBRIDGE,
             "s3_notification": shapes.S3_NOTIFICATION, "bedrock_invocation_log": shapes.BEDROCK_LOG}
    for seed in all_seeds():
        shapes.check(seed.record, specs[seed.kind])  # raises on a false alarm


def test_every_sample_delta_is_storable() -> None:
    parsed = 0
    for seed in all_seeds():
        try:
            delta = parse_record(RawRecord(seed.kind, seed.record, seed.origin), {})
        except Exception:  # noqa: BLE001 - skips and quarantines of the samples are other tests' business
            continue
        assert validate(delta) is delta
        parsed += 1
    assert parsed > 350


@pytest.mark.parametrize(("record", "error"), [
    ({"eventName": ["GetObject"]}, "eventName: expected a string, got a list"),
    ({"eventName": float("nan")}, "eventName: expected a string, got NaN"),
    ({"awsRegion": True}, "awsRegion: expected a string, got a boolean"),
    ({"userIdentity": "x"}, "userIdentity: expected an object, got a string"),
    ({"userIdentity": {"sessionContext": {"sessionIssuer": {"arn": 1}}}},
     "userIdentity.sessionContext.sessionIssuer.arn: expected a string, got a number"),
    ({"resources": {"ARN": "a"}}, "resources: expected a list, got an object"),
    ({"resources": [{"ARN": "a"}, {"type": ["x"]}]}, "resources[1].type: expected a string, got a list"),
    ({"requestParameters": 5}, "requestParameters: expected an object, got a number"),
])
def test_misfits_are_named(record: dict, error: str) -> None:
    with pytest.raises(Malformed) as raised:
        shapes.check(record, shapes.CLOUDTRAIL)
    assert str(raised.value) == error


@pytest.mark.parametrize("record", [
    {"eventName": None, "userIdentity": None},  # null is absence, each loader's business
    {"userIdentity": {"sessionContext": ""}},  # a falsy object is taken as absent, as the loaders do
    {"requestParameters": "{\"bucketName\": \"b\"}"},  # a block exported as JSON text
    {"resources": ["arn:aws:s3:::b", {"ARN": "arn:aws:s3:::b"}]},  # Panther's ARN strings are ignored
    {"vendorField": [1, {"x": float("nan")}]},  # fields no loader reads are never validated
])
def test_fits_pass(record: dict) -> None:
    shapes.check(record, shapes.CLOUDTRAIL)


def _delta(nodes: tuple = (), edges: tuple = (), **changes: object) -> GraphDelta:
    base = {"source": "cloudtrail", "event_id": "e1", "event_key": "ct:e1", "action_key": "ct:e1",
            "time": "2024-01-01T00:00:00Z"}
    return GraphDelta(**{**base, **changes}, nodes=nodes, edges=edges)


@pytest.mark.parametrize(("delta", "error"), [
    (_delta(nodes=(NodeRow("S3Bucket", "b", {"name": {"a": 1}}),)), "S3Bucket.name: value of unexpected shape "
     "(dict \"{'a': 1}\")"),
    (_delta(nodes=(NodeRow("S3Bucket", "b", {"size": float("nan")}),)), "S3Bucket.size: value of unexpected "
     "shape (float 'nan')"),
    (_delta(nodes=(NodeRow("S3Bucket", "b", {"n": 2**63}),)), "S3Bucket.n: value of unexpected shape "
     "(int '9223372036854775808')"),
    (_delta(nodes=(NodeRow("S3Bucket", "b", {"l": ["a", 1]}),)), "S3Bucket.l: value of unexpected shape "
     "(list \"['a', 1]\")"),
    (_delta(nodes=(NodeRow("S3Bucket", "b", {"l": [["a"]]}),)), "S3Bucket.l: value of unexpected shape "
     "(list \"[['a']]\")"),
    (_delta(nodes=(NodeRow("S3Bucket", "", {}),)), "S3Bucket key: not a usable key (str '')"),
    (_delta(nodes=(NodeRow("S3Bucket", "b\ud800", {}),)), "S3Bucket key: not a usable key (str 'b\\ud800')"),
    (_delta(nodes=(NodeRow("NoSuchType", "b", {}),)), "node type 'NoSuchType' is not in the schema"),
    (_delta(edges=(EdgeRow("READ", "AWSRole", "r", "S3Object", ["o"]),)), "READ target: not a usable key "
     "(list \"['o']\")"),
    (_delta(edges=(EdgeRow("READ", "AWSRole", "r", "S3Object", "o", bytes=-1),)), "READ.bytes: not a byte "
     "count (-1)"),
    (_delta(edges=(EdgeRow("READ", "AWSRole", "r", "S3Object", "o", operation=3),)), "READ operation: not a "
     "usable key (int '3')"),
    (_delta(event_id=7), "event_id: not a usable key (int '7')"),
])
def test_unstorable_deltas_are_malformed(delta: GraphDelta, error: str) -> None:
    with pytest.raises(Malformed) as raised:
        validate(delta)
    assert str(raised.value) == error


def test_storable_values_pass() -> None:
    node = NodeRow("S3Bucket", "b", {"s": "é", "i": -(2**63), "f": 1.5, "t": True, "none": None, "l": [1, 2.5],
                                     "ls": ["a", "b"], "empty": []})
    assert validate(_delta(nodes=(node,))).nodes == (node,)


def test_ids_refuse_values_that_are_not_strings() -> None:
    with pytest.raises(ids.IdentityError, match=r"^parse_arn: value is not a string \(list\)$"):
        ids.parse_arn(["arn:aws:iam::1:role/r"])
    with pytest.raises(ids.IdentityError, match=r"^sagemaker_arn: name is not a string \(float\)$"):
        ids.sagemaker_arn("aws", "eu-west-1", "1", "endpoint", 1.5)
    with pytest.raises(ids.IdentityError, match=r"^s3_object_arn: key is not a string \(dict\)$"):
        ids.s3_object_arn("b", key={})
    expected = "arn:aws:sagemaker:eu-west-1:1:endpoint/myep"
    assert ids.sagemaker_arn("aws", "eu-west-1", "1", "endpoint", "MyEP") == expected


def test_list_fields() -> None:
    assert fields.list_ci({"Items": [1]}, "items") == [1]
    assert fields.list_ci({"items": None}, "items") == []
    assert fields.dig_list({"a": {"b": ""}}, "a", "b") == []
    with pytest.raises(Malformed, match=r"^a\.b: expected a list, got float$"):
        fields.dig_list({"a": {"b": 1.5}}, "a", "b")
    assert fields.get_ci("not an object", "x") is None
