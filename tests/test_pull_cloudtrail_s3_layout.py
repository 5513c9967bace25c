"""`graphgov pull cloudtrail-s3` on a bucket without the CloudTrail layout says what it found (moto server).

CloudTrail delivers to `<prefix>/AWSLogs/[o-<org id>/]<account id>/CloudTrail/<region>/YYYY/MM/DD/`
(CloudTrail User Guide, "Finding your CloudTrail log files"; an organisation id is `o-` followed by 10
to 32 lowercase letters or digits, Organizations API reference, Organization.Id). Each bucket below
breaks that layout one way; the pull reads nothing and its `notes` name what is there instead.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import boto3
from click.testing import CliRunner
from helpers import iam_guide_sts_records

from graphgov.aws.pullers.cloudtrail_s3 import pull_cloudtrail_s3
from graphgov.aws.session import aws_session
from graphgov.cli.app import main
from graphgov.stores.embedded import EmbeddedStore

pytest_plugins = ("moto_server",)

BUCKET = "acme-trail"
DAY = "2014/07/18"
FILE = "111122223333_CloudTrail_us-east-2_20140718T1510Z_EXAMPLE.json.gz"


def delivery_file() -> bytes:
    """One delivery file holding the IAM User Guide's cross-account AssumeRole (the requester's copy)."""
    return gzip.compress(json.dumps({"Records": [iam_guide_sts_records()[0]]}).encode())


def bucket_with(*keys: str) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    for key in keys:
        s3.put_object(Bucket=BUCKET, Key=key, Body=delivery_file())


def pull(tmp_path: Path, prefix: str = "trail", **kwargs: Any) -> Any:
    store = EmbeddedStore(tmp_path / "graph.json.gz")
    return pull_cloudtrail_s3(aws_session(), store, tmp_path / "q.jsonl", BUCKET, prefix, **kwargs)


def nothing_read(summary: Any) -> tuple[int, int, int]:
    return summary.records, summary.files, summary.objects["s3_object"]


def test_a_prefix_without_awslogs_names_the_folders_it_holds(moto, tmp_path):
    bucket_with(f"trail/cloudtrail/AWSLogs/111122223333/CloudTrail/us-east-2/{DAY}/{FILE}",
                "trail/exports/notes.txt")
    summary = pull(tmp_path)
    assert nothing_read(summary) == (0, 0, 0)
    assert summary.notes == [f"s3://{BUCKET}/trail/ holds no AWSLogs/ folder; found: cloudtrail/, exports/ "
                             "(is --prefix the folder that holds AWSLogs/?)"]
    # the right prefix reads the file, and says nothing
    right = pull(tmp_path / "right", prefix="trail/cloudtrail")
    assert (right.records, right.loaded, right.notes) == (1, 1, [])


def test_a_lower_case_awslogs_folder_is_pointed_out(moto, tmp_path):
    bucket_with(f"awslogs/111122223333/CloudTrail/us-east-2/{DAY}/{FILE}")
    summary = pull(tmp_path, prefix="")
    assert nothing_read(summary) == (0, 0, 0)
    assert summary.notes == [f"s3://{BUCKET}/ holds no AWSLogs/ folder (the folder name is case-sensitive: "
                             "AWSLogs/); found: awslogs/ (is --prefix the folder that holds AWSLogs/?)"]


def test_folders_under_awslogs_that_are_not_ids_are_named_with_the_rule_they_break(moto, tmp_path):
    bucket_with(*(f"trail/AWSLogs/{name}/111122223333/CloudTrail/us-east-2/{DAY}/{FILE}"
                  for name in ("o-Example1234", "o-abc123", "o-" + "a" * 33)),
                f"trail/AWSLogs/11112222333/CloudTrail/us-east-2/{DAY}/{FILE}",
                f"trail/AWSLogs/CloudTrail/us-east-2/{DAY}/{FILE}")
    summary = pull(tmp_path)
    assert nothing_read(summary) == (0, 0, 0)
    organisation = "not an organisation id: o- followed by 10 to 32 lowercase letters or digits"
    assert summary.notes == [
        f"s3://{BUCKET}/trail/AWSLogs/ holds folders that are neither an account id (12 digits) nor an "
        f"organisation id, not read: 11112222333/ (not an account id: 12 digits), "
        f"CloudTrail/ (neither an account id nor an organisation id), o-Example1234/ ({organisation}), "
        f"o-{'a' * 33}/ ({organisation}), o-abc123/ ({organisation})"]


def test_an_organisation_folder_without_account_folders(moto, tmp_path):
    bucket_with(f"trail/AWSLogs/o-exampleorg1/CloudTrail/us-east-2/{DAY}/{FILE}",
                "trail/AWSLogs/o-exampleorg1/README")
    summary = pull(tmp_path)
    assert nothing_read(summary) == (0, 0, 0)
    assert summary.notes == [f"s3://{BUCKET}/trail/AWSLogs/o-exampleorg1/ holds no account folder (12 digits); "
                             "found: CloudTrail/, 1 object"]


def test_an_account_folder_without_cloudtrail_and_accounts_asked_for_but_absent(moto, tmp_path):
    bucket_with(f"trail/AWSLogs/111122223333/Config/us-east-2/{DAY}/config.json.gz",
                f"trail/AWSLogs/111122223333/CloudTrail-Digest/us-east-2/{DAY}/digest.json.gz")
    summary = pull(tmp_path)
    assert nothing_read(summary) == (0, 0, 0)
    assert summary.notes == [f"s3://{BUCKET}/trail/AWSLogs/111122223333/ holds no CloudTrail/<region>/ folder; "
                             "found: CloudTrail-Digest/, Config/"]
    asked = pull(tmp_path / "asked", accounts=("444455556666",))
    assert asked.notes == [f"no folder for account 444455556666 under s3://{BUCKET}/trail/AWSLogs/[o-…/]; "
                           "accounts found: 111122223333"]


def test_a_bucket_in_the_layout_has_no_notes(moto, tmp_path):
    bucket_with(f"trail/AWSLogs/o-exampleorg1/111122223333/CloudTrail/us-east-2/{DAY}/{FILE}")
    summary = pull(tmp_path)
    assert (summary.records, summary.loaded, summary.files, summary.notes) == (1, 1, 1, [])
    assert summary.as_dict()["notes"] == []


def test_the_command_prints_what_it_found_in_text_and_json(moto, tmp_path):
    bucket_with(f"trail/cloudtrail/AWSLogs/111122223333/CloudTrail/us-east-2/{DAY}/{FILE}")
    args = ["pull", "cloudtrail-s3", "--bucket", BUCKET, "--prefix", "trail", "--store", str(tmp_path / "g.json.gz"),
            "--quarantine", str(tmp_path / "q.jsonl")]
    text = CliRunner().invoke(main, args)
    assert text.exit_code == 0, text.output
    assert text.output.splitlines()[:2] == [
        f"0 records from 0 S3 objects in s3://{BUCKET}/trail into embedded store {tmp_path / 'g.json.gz'}",
        f"  note         s3://{BUCKET}/trail/ holds no AWSLogs/ folder; found: cloudtrail/ "
        "(is --prefix the folder that holds AWSLogs/?)"]
    as_json = CliRunner().invoke(main, [*args, "--format", "json"])
    assert json.loads(as_json.output)["notes"] == [
        f"s3://{BUCKET}/trail/ holds no AWSLogs/ folder; found: cloudtrail/ (is --prefix the folder that holds "
        "AWSLogs/?)"]


def test_a_denied_listing_is_a_gap_not_a_missing_folder(moto, tmp_path):
    from urllib.parse import unquote

    from botocore.awsrequest import AWSResponse

    class Raw:
        def stream(self, **_: Any) -> Any:
            yield b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"

    bucket_with(f"trail/AWSLogs/111122223333/CloudTrail/us-east-2/{DAY}/{FILE}")
    session = aws_session()
    session.events.register("before-send.s3.ListObjectsV2", lambda request, **_: AWSResponse(
        request.url, 403, {}, Raw()) if "prefix=trail/AWSLogs/" in unquote(request.url) else None)
    summary = pull_cloudtrail_s3(session, EmbeddedStore(tmp_path / "g.json.gz"), tmp_path / "q.jsonl", BUCKET, "trail")
    assert summary.notes == []  # not "holds no AWSLogs/ folder": it could not be listed
    assert summary.gaps == [{"action": "s3:ListBucket", "how": "denied", "resource": f"s3://{BUCKET}/trail/AWSLogs/",
                             "count": 1, "unit": "folder"}]
    assert (summary.records, summary.skipped) == (1, {"access_denied:s3:ListObjectsV2": 1})
