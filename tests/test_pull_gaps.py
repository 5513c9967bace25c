"""graphgov.aws.pullers._gaps: which records are gaps, how they aggregate, and the line each prints."""

from __future__ import annotations

from graphgov.aws.pullers._gaps import Gaps, gap_line, gap_of
from graphgov.ingest.readers import RawRecord


def _skip(location: str, reason: str) -> RawRecord:
    return RawRecord(None, None, location, skip=reason)


def test_only_denied_and_throttled_out_records_are_gaps():
    assert gap_of(_skip("s3://b/k", "access_denied:s3:GetObject")) == ("denied", "s3:GetObject")
    assert gap_of(_skip("x", "throttled:cloudtrail:LookupEvents")) == ("throttled out", "cloudtrail:LookupEvents")
    assert gap_of(_skip("x", "access_denied:s3:GetBucketEncryption")) == ("denied", "s3:GetEncryptionConfiguration")
    assert gap_of(_skip("x", "access_denied:s3:ListObjectsV2")) == ("denied", "s3:ListBucket")
    # gone objects, duplicates, errors and other skips are not: nothing is missing that could be read
    for record in (_skip("s3://b/k", "gone:s3:GetObject"), _skip("x", "duplicate"), _skip("x", "access_denied"),
                   RawRecord(None, None, "x", error="s3:GetObject failed: InternalError")):
        assert gap_of(record) is None


def test_gaps_aggregate_per_action_and_scope_with_the_common_prefix():
    gaps = Gaps()
    for key in ("AWSLogs/1/CloudTrail/eu-west-1/2026/01/05/a.json.gz", "AWSLogs/1/CloudTrail/us-east-1/b.json.gz",
                "AWSLogs/1/CloudTrail/us-east-1/c.json.gz"):
        gaps.observe(_skip(f"s3://bkt/{key}", "access_denied:s3:GetObject"))
    gaps.observe(_skip("s3://other/one.gz", "access_denied:s3:GetObject"))
    for job in ("a", "b"):
        gaps.observe(_skip(f"arn:aws:sagemaker:us-east-1:111122223333:training-job/{job}",
                           "access_denied:sagemaker:DescribeTrainingJob"))
    gaps.observe(_skip("data-bkt", "access_denied:s3:GetBucketEncryption"))
    gaps.observe(_skip("trail-bkt", "access_denied:s3:GetBucketEncryption"))
    gaps.observe(_skip("s3://bkt/k", "duplicate"))  # not a gap
    gaps.observe(object())  # a delta: ignored
    assert [gap_line(g) for g in gaps.as_list()] == [
        "gap: s3:GetObject denied on s3://bkt/AWSLogs/1/CloudTrail/* (3 objects)",
        "gap: s3:GetObject denied on s3://other/one.gz (1 object)",
        "gap: sagemaker:DescribeTrainingJob denied on arn:aws:sagemaker:us-east-1:111122223333:training-job/* (2 jobs)",
        "gap: s3:GetEncryptionConfiguration denied on data-bkt, trail-bkt (2 resources)",
    ]
    assert gaps.as_list()[0] == {"action": "s3:GetObject", "how": "denied",
                                 "resource": "s3://bkt/AWSLogs/1/CloudTrail/*", "count": 3, "unit": "object"}


def test_no_gaps_is_an_empty_list():
    assert Gaps().as_list() == []
