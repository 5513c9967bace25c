"""graphgov.ingest.redaction: credentials and model content out of what graphgov writes about unloadable records."""

from __future__ import annotations

import hashlib
import json

import pytest

from graphgov.ingest.redaction import fingerprint, is_secret_key, redact_secrets, redact_text, secret_marker

TOKEN = "FwoGZXIvYXdzEJr//////////wEaDHq8Example0Token"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def marker(value: str) -> str:
    return f"<redacted secret by graphgov: sha256 {hashlib.sha256(value.encode()).hexdigest()[:8]}, {len(value)} chars>"


def test_markers_keep_a_hash_and_the_length():
    assert secret_marker("hunter2") == marker("hunter2") == "<redacted secret by graphgov: sha256 f52fbd32, 7 chars>"
    assert secret_marker(12345) == marker("12345")
    text = json.dumps({"a": [1]}, sort_keys=True)
    digest = hashlib.sha256(text.encode()).hexdigest()
    assert fingerprint({"a": [1]}) == f"<redacted by graphgov: sha256 {digest}, 10 chars>"


@pytest.mark.parametrize(("name", "secret"), [
    ("sessionToken", True), ("SessionToken", True), ("X-Amz-Security-Token", True), ("access_token", True),
    ("secretAccessKey", True), ("clientSecret", True), ("password", True), ("DbPassword", True),
    ("passwd", True), ("Authorization", True),
    ("inputTokenCount", False), ("maxTokens", False), ("input_tokens", False), ("output_token_count", False),
    ("accessKeyId", False), ("eventName", False), (3, False),
])
def test_secret_key_names(name, secret):
    assert is_secret_key(name) is secret


def test_structured_records_lose_every_credential_of_any_type_at_any_depth():
    record = {"userIdentity": {"accessKeyId": "ASIAQRSTUVWXYZEXAMPL"},
              "requestParameters": {"password": 123456, "nested": [{"ClientSecret": {"v": ["x"]}}], "maxTokens": 5},
              "responseElements": {"credentials": {"sessionToken": TOKEN, "secretAccessKey": SECRET,
                                                   "accessKeyId": "ASIAQRSTUVWXYZEXAMPL"}},
              "emptyToken": "", "note": f"SessionToken={TOKEN}"}
    assert redact_secrets(record) == {
        "userIdentity": {"accessKeyId": "ASIAQRSTUVWXYZEXAMPL"},
        "requestParameters": {"password": marker("123456"), "nested": [{"ClientSecret": marker('{"v": ["x"]}')}],
                              "maxTokens": 5},
        "responseElements": {"credentials": {"sessionToken": marker(TOKEN), "secretAccessKey": marker(SECRET),
                                             "accessKeyId": "ASIAQRSTUVWXYZEXAMPL"}},
        "emptyToken": "", "note": f"SessionToken={marker(TOKEN)}"}


@pytest.mark.parametrize(("text", "redacted"), [
    ('{"credentials":{"accessKeyId":"ASIAQRSTUVWXYZEXAMPL","sessionToken":"' + TOKEN + '"',
     '{"credentials":{"accessKeyId":"ASIAQRSTUVWXYZEXAMPL","sessionToken":"' + marker(TOKEN) + '"'),
    ('{"sessionToken": "' + "abc", '{"sessionToken": "' + marker("abc")),  # cut short: to the end
    ('{\\"sessionToken\\": \\"abc\\", \\"n\\": 1}', '{\\"sessionToken\\": \\"' + marker("abc") + '\\", \\"n\\": 1}'),
    ("GET /?Action=X&SessionToken=abc&Version=1", f"GET /?Action=X&SessionToken={marker('abc')}&Version=1"),
    (f"aws_secret_access_key = {SECRET}\n", f"aws_secret_access_key = {marker(SECRET)}\n"),
    ('{"user":"bob","password":"p@ss word"}', '{"user":"bob","password":"' + marker("p@ss word") + '"}'),
    ("X-Amz-Security-Token: abc", f"X-Amz-Security-Token: {marker('abc')}"),
    ("Authorization: Bearer abc.def", f"Authorization: {marker('Bearer abc.def')}"),
    (f"pair AKIAIOSFODNN7EXAMPLE {SECRET} end", f"pair AKIAIOSFODNN7EXAMPLE {marker(SECRET)} end"),
    (f"no key id {SECRET} end", f"no key id {SECRET} end"),  # a 40-character word alone may be anything
    (f"sha1 AKIAIOSFODNN7EXAMPLE {'a1' * 20}", f"sha1 AKIAIOSFODNN7EXAMPLE {'a1' * 20}"),  # hex: not a key
    ("tok IQoJb3JpZ2luX2VjEBAaCXVz end", f"tok {marker('IQoJb3JpZ2luX2VjEBAaCXVz')} end"),
    ("blob " + "Ab1/" * 30, "blob " + marker("Ab1/" * 30)),
    ('{"eventName": "GetSessionToken", "inputTokenCount": 12}',
     '{"eventName": "GetSessionToken", "inputTokenCount": 12}'),
])
def test_raw_text_loses_credentials_by_pattern(text, redacted):
    assert redact_text(text) == redacted
    assert redact_secrets(text) == redacted


def test_raw_text_that_may_hold_model_content_is_replaced_whole():
    for text in ('{"schemaType": "ModelInvocationLog", "x": "my prompt',
                 '{"input": {"inputBodyJson": {"prompt": "my prompt',
                 '{\\"messages\\": [{\\"content\\": \\"my prompt'):
        assert redact_text(text) == fingerprint(text)


def test_an_invocation_log_keeps_only_its_metadata_whatever_its_body():
    record = {"schemaType": "ModelInvocationLog", "schemaVersion": "1.0", "timestamp": "2026-01-12T09:00:00Z",
              "accountId": "123456789012", "region": "us-east-1", "requestId": "r-1", "operation": "Converse",
              "modelId": "m" * 300, "identity": {"arn": "arn:aws:sts::123456789012:assumed-role/R/s", "x": "y"},
              "requestMetadata": {"team": "support"},
              "input": {"inputTokenCount": 3, "inputContentType": "application/json", "inputBodyJson": "prompt",
                        "inputBodyS3Path": "s3://b/k"},
              "output": {"outputTokenCount": 1, "outputBodyJson": [{"text": "response"}], "extra": 1},
              "unexpected": {"messages": [{"content": [{"text": "prompt"}]}]}}
    assert redact_secrets(record) == {
        "schemaType": "ModelInvocationLog", "schemaVersion": "1.0", "timestamp": "2026-01-12T09:00:00Z",
        "accountId": "123456789012", "region": "us-east-1", "requestId": "r-1", "operation": "Converse",
        "modelId": fingerprint("m" * 300),  # too long to be an id
        "identity": {"arn": "arn:aws:sts::123456789012:assumed-role/R/s", "x": fingerprint("y")},
        "requestMetadata": fingerprint({"team": "support"}),
        "input": {"inputTokenCount": 3, "inputContentType": "application/json", "inputBodyJson": fingerprint("prompt"),
                  "inputBodyS3Path": "s3://b/k"},
        "output": {"outputTokenCount": 1, "outputBodyJson": fingerprint([{"text": "response"}]),
                   "extra": fingerprint(1)},
        "unexpected": fingerprint({"messages": [{"content": [{"text": "prompt"}]}]})}


def test_content_keys_outside_an_invocation_log_are_fingerprinted():
    record = {"detail": {"prompt": "hello", "messages": [], "inputText": {"t": 1}}, "n": 1}
    assert redact_secrets(record) == {"detail": {"prompt": fingerprint("hello"), "messages": [],
                                                 "inputText": fingerprint({"t": 1})}, "n": 1}


def test_bytes_are_read_as_text_and_redacted():
    assert redact_secrets(b"password=abc") == f"password={marker('abc')}"


def test_values_nested_past_the_kept_depth_are_replaced_not_walked():
    """A record nested far deeper than AWS writes (the fuzz corpus's deep-record entry) is redacted without
    exhausting the recursion limit: everything below MAX_KEPT_DEPTH is one note, secrets above still go."""
    from graphgov.ingest.redaction import MAX_KEPT_DEPTH

    deep: object = {"sessionToken": "FwoGZXIvYXdzEdeep"}
    for _ in range(5000):
        deep = [deep]
    record = {"eventName": deep, "password": "hunter2", "kept": [{"a": 1}]}
    redacted = redact_secrets(record)
    assert redacted["kept"] == [{"a": 1}]
    assert redacted["password"].startswith("<redacted secret by graphgov: sha256 ")
    level, depth = redacted["eventName"], 1
    while isinstance(level, list):
        [level] = level
        depth += 1
    assert (depth, level) == (MAX_KEPT_DEPTH, f"<nested deeper than {MAX_KEPT_DEPTH} levels: not kept by graphgov>")
    assert "FwoGZXIvYXdzEdeep" not in json.dumps(redacted)
