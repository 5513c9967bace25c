import pytest

from graphgov.core import ids


def test_role_arn_with_path_becomes_pathless_key_and_keeps_path():
    assert ids.canonical_iam_arn("arn:aws:iam::111122223333:role/service-role/AmazonSageMaker-Exec") == (
        "arn:aws:iam::111122223333:role/AmazonSageMaker-Exec", "/service-role/")
    assert ids.canonical_iam_arn("arn:aws:iam::111122223333:user/JaneDoe") == (
        "arn:aws:iam::111122223333:user/JaneDoe", "/")
    policy = "arn:aws:iam::aws:policy/SecurityAudit"
    assert ids.canonical_iam_arn(policy) == (policy, None)


def test_session_maps_to_its_role():
    session = "arn:aws:sts::111122223333:assumed-role/EC2-dev/JohnDoe-EC2-dev"
    assert ids.role_arn_from_session(session) == "arn:aws:iam::111122223333:role/EC2-dev"
    assert ids.session_name_from_session(session) == "JohnDoe-EC2-dev"
    assert ids.canonical_principal_arn(session) == "arn:aws:iam::111122223333:role/EC2-dev"
    china = "arn:aws-cn:sts::111122223333:assumed-role/R/s"
    assert ids.role_arn_from_session(china) == "arn:aws-cn:iam::111122223333:role/R"


def test_session_without_session_name_is_not_a_session():
    assert not ids.is_session_arn("arn:aws:sts::123456789012:assumed-role/tester")
    with pytest.raises(ids.IdentityError):
        ids.session_name_from_session("arn:aws:sts::123456789012:assumed-role/tester")


@pytest.mark.parametrize(("uri", "bucket", "key"), [
    ("s3://my-bucket/train/part 1.csv", "my-bucket", "train/part 1.csv"),
    ("s3://my-bucket", "my-bucket", ""),
    ("https://my-bucket.s3.us-east-1.amazonaws.com/train/part%201.csv", "my-bucket", "train/part 1.csv"),
    ("https://my.dotted.bucket.s3.amazonaws.com/a/b", "my.dotted.bucket", "a/b"),
    ("https://s3.eu-west-1.amazonaws.com/my-bucket/x%2By.csv", "my-bucket", "x+y.csv"),
    ("https://s3.amazonaws.com/my-bucket/k", "my-bucket", "k"),
    ("arn:aws:s3:::my-bucket/a+b", "my-bucket", "a+b"),
])
def test_s3_locations(uri, bucket, key):
    assert ids.parse_s3_uri(uri) == ids.S3Location(bucket, key)


def test_s3_keys_notification_vs_cloudtrail():
    # Notifications form-encode keys; CloudTrail and s3:// keys are raw and must not be decoded.
    assert ids.decode_notification_key("train/my+file%281%29.csv") == "train/my file(1).csv"
    assert ids.parse_s3_uri("s3://b/my+file.csv").key == "my+file.csv"


@pytest.mark.parametrize("bad", ["", "ftp://x/y", "https://example.com/a", "s3://", "arn:aws:iam::1:role/x"])
def test_bad_s3_locations_are_refused(bad):
    with pytest.raises(ids.IdentityError):
        ids.parse_s3_uri(bad)


def test_copy_source_forms():
    assert ids.parse_copy_source("B/test-copy-object/README.md") == ids.S3Location("B", "test-copy-object/README.md")
    assert ids.parse_copy_source("/b/a%20b.txt?versionId=3") == ids.S3Location("b", "a b.txt")


def test_sagemaker_names_are_lower_cased_as_in_arns():
    assert ids.sagemaker_arn("aws", "us-east-1", "123456789012", "endpoint", "ExampleEndpoint") == (
        "arn:aws:sagemaker:us-east-1:123456789012:endpoint/exampleendpoint")


def test_kms_key_refs():
    arn = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert ids.kms_key_arn(arn, "aws", "us-west-2", "111122223333") == arn
    assert ids.kms_key_arn("1234abcd-12ab-34cd-56ef-1234567890ab", "aws", "us-west-2", "111122223333") == arn
    assert ids.kms_key_arn("alias/aws/ebs", "aws", "us-west-2", "111122223333") is None
    assert ids.kms_key_arn("arn:aws:kms:us-west-2:111122223333:alias/x", "aws", "us-west-2", "1") is None
