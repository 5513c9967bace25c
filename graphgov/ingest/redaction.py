"""Redaction: what graphgov writes about a record it could not load keeps evidence, never secrets or content.

The quarantine file and the Lambda handler's log lines hold records graphgov could not load, so they see
whatever the input held: parsed JSON, or raw text when it was not JSON. Three rules, applied to both:

- Credentials. In structured records, the value (of any type) of every key whose name says token,
  secret, password or authorization (case-insensitive; token *counts* such as `inputTokenCount` or
  `maxTokens` are not credentials). In raw text the same keys in `"key": "value"`, `key=value` and
  `Key: value` forms (JSON, query strings, INI files, HTTP headers, escaped JSON inside a string), STS
  session tokens by prefix, every unbroken base64 run of 100+ characters, and 40-character secret
  access keys in a text that also names an access key id. Access key ids (AKIA.../ASIA...) are
  identifiers, not secrets, and are kept: they tie evidence to a key.
- Model content. A record whose `schemaType` is `ModelInvocationLog` keeps only its metadata
  (INVOCATION_METADATA); everything else is fingerprinted, whatever its shape. Elsewhere, any key that
  carries prompts or responses (CONTENT_FIELDS) is fingerprinted, and so is any raw text that mentions
  `ModelInvocationLog` or one of those keys (a broken invocation-log line).
- Fingerprints keep what an analyst needs to match two copies: a redacted secret becomes
  `<redacted secret by graphgov: sha256 <8 hex>, <n> chars>` (a short prefix: enough to match, too
  short to confirm a guess), redacted content `<redacted by graphgov: sha256 <64 hex>, <n> chars>`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

# Prompts and responses of model-invocation logs (and the like): kept out of the quarantine as out of the graph.
CONTENT_FIELDS = frozenset({
    "inputBodyJson", "outputBodyJson", "inputBody", "outputBody", "inputBodyBase64", "outputBodyBase64",
    "prompt", "messages", "inputText", "outputText", "completion", "generation",
})
INVOCATION_SCHEMA = "ModelInvocationLog"
# What a ModelInvocationLog record keeps (top level, and inside its sections); the rest is fingerprinted.
INVOCATION_METADATA = frozenset({
    "schemaType", "schemaVersion", "timestamp", "accountId", "region", "requestId", "operation", "modelId",
    "inferenceRegion", "errorCode",
})
INVOCATION_SECTIONS: Mapping[str, frozenset[str]] = {
    "identity": frozenset({"arn"}),
    "input": frozenset({"inputContentType", "inputTokenCount", "inputBodyS3Path"}),
    "output": frozenset({"outputContentType", "outputTokenCount", "outputBodyS3Path"}),
}
MAX_METADATA_CHARS = 256  # a longer "metadata" string is not metadata: fingerprinted

_SECRET_KEY = re.compile(r"secret|passw(?:or)?d|authori[sz]ation|token(?!s|_?count)", re.IGNORECASE)
_KEY_CHARS = r"[A-Za-z0-9_.\-]"
# key [quote] separator value: a quoted value (maybe escaped, maybe unterminated) or a bare word.
_SECRET_PAIR = re.compile(  # the key from its keyword on (what precedes it stays as it is)
    r"(?P<key>(?:secret|passw(?:or)?d|authori[sz]ation|token(?!s|_?count))" + _KEY_CHARS + r"*)"
    r"(?P<close>\\*[\"']?)(?P<sep>\s*[:=]\s*)"
    r"(?P<value>\\*\"(?:[^\"\\]|\\(?!\")|\\\\)*(?:\\*\"|$)|'[^'\n]*(?:'|$)|"
    r"(?:(?:AWS4-HMAC-SHA256|Bearer|Basic|Digest|AWS) )?[^\s\"',;&}\]\\]+)",
    re.IGNORECASE)
_STS_TOKEN = re.compile(r"(?:FwoGZXIvYXdzE|FQoGZXIvYXdzE|IQoJb3JpZ2lu|IQoDYXdzE|AQoDYXdzE)[A-Za-z0-9/+=]{8,}")
_LONG_BASE64 = re.compile(r"[A-Za-z0-9/+]{100,}={0,2}")
_KEY_ID = re.compile(r"\b(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{16}\b")
_SECRET_ACCESS_KEY = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
_SECRET_WORDS = ("secret", "passw", "authori", "token")
_CONTENT_WORDS = (INVOCATION_SCHEMA, *sorted(CONTENT_FIELDS))
_CONTENT_MENTION = re.compile(
    INVOCATION_SCHEMA + "|(?:" + "|".join(sorted(CONTENT_FIELDS)) + r')\\*"')


MAX_KEPT_DEPTH = 64  # deeper than any record AWS writes: what lies below is replaced, never walked


def _as_text(value: Any) -> str:
    try:
        return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    except (RecursionError, ValueError):  # nested past the encoder's limit: hashed by its repr's shape
        return f"<unencodable {type(value).__name__}>"


def fingerprint(value: Any) -> str:
    """Model content (or anything that may hold it) as its hash and size."""
    text = _as_text(value)
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return f"<redacted by graphgov: sha256 {digest}, {len(text)} chars>"


def secret_marker(value: Any) -> str:
    """A credential as a short hash prefix and its size: two copies still match, the value is gone."""
    text = _as_text(value)
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"<redacted secret by graphgov: sha256 {digest}, {len(text)} chars>"


def is_secret_key(name: object) -> bool:
    """Whether a field named `name` holds a credential (token, secret, password, authorization)."""
    return isinstance(name, str) and _SECRET_KEY.search(name) is not None


def redact_secrets(value: Any, depth: int = 0) -> Any:
    """`value` (a parsed record, raw text, or anything in between) with credentials and model content
    replaced by markers; the same input always gives the same output. Objects and lists nested deeper
    than MAX_KEPT_DEPTH are replaced by a note (a hostile record must not exhaust the recursion limit)."""
    if isinstance(value, (Mapping, list, tuple)) and depth >= MAX_KEPT_DEPTH:
        return f"<nested deeper than {MAX_KEPT_DEPTH} levels: not kept by graphgov>"
    if isinstance(value, Mapping):
        if value.get("schemaType") == INVOCATION_SCHEMA:
            return _invocation_metadata(value)
        return {k: _redact_field(k, v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_secrets(v, depth + 1) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return redact_text(bytes(value).decode("utf-8", "replace"))
    if isinstance(value, str):
        return redact_text(value)
    return value


def _redact_field(key: Any, value: Any, depth: int) -> Any:
    if is_secret_key(key) and value not in (None, "", [], {}):
        return secret_marker(value)
    if key in CONTENT_FIELDS and value not in (None, "", [], {}):
        return fingerprint(value)
    return redact_secrets(value, depth)


def _invocation_metadata(record: Mapping[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, value in record.items():
        if key in INVOCATION_SECTIONS and isinstance(value, Mapping):
            allowed = INVOCATION_SECTIONS[key]
            kept[key] = {k: _metadata_value(v) if k in allowed else fingerprint(v) for k, v in value.items()}
        elif key in INVOCATION_METADATA:
            kept[key] = _metadata_value(value)
        else:
            kept[key] = fingerprint(value)
    return kept


def _metadata_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str) and len(value) <= MAX_METADATA_CHARS:
        return redact_credentials(value)
    return fingerprint(value)  # a list, a dict or a long text where metadata belongs: not metadata


def redact_text(text: str) -> str:
    """Raw text (an invalid JSON line, a log message) without credentials; text that may hold model
    content is replaced whole by its fingerprint."""
    if any(word in text for word in _CONTENT_WORDS) and _CONTENT_MENTION.search(text):
        return fingerprint(text)
    return redact_credentials(text)


def redact_credentials(text: str) -> str:
    """Text without credentials, content left alone: locations, error messages, metadata values."""
    lowered = text.lower()
    if any(word in lowered for word in _SECRET_WORDS):  # substring tests first: the regexes are slower
        text = _SECRET_PAIR.sub(_redact_pair, text)
    text = _STS_TOKEN.sub(lambda m: secret_marker(m.group(0)), text)
    text = _LONG_BASE64.sub(lambda m: secret_marker(m.group(0)), text)
    if _KEY_ID.search(text):
        text = _SECRET_ACCESS_KEY.sub(_redact_if_secret_key, text)
    return text


def _redact_pair(match: re.Match[str]) -> str:
    value = match["value"]
    stripped = value.strip("\\\"'")
    if not stripped or stripped.startswith("<redacted"):
        return match.group(0)
    lead = value[: len(value) - len(value.lstrip("\\\"'"))]
    trail = value[len(value.rstrip("\\\"'")):]
    return f"{match['key']}{match['close']}{match['sep']}{lead}{secret_marker(stripped)}{trail}"


def _redact_if_secret_key(match: re.Match[str]) -> str:
    word = match.group(0)
    mixed = re.search(r"[a-z]", word) and re.search(r"[A-Z]", word)
    return secret_marker(word) if mixed else word
