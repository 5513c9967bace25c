"""PII detection in model prompts and responses: which kinds of personal or secret data, and how many.

Only types and counts ever leave this module, never a matched value: the graph must be able to say
"this role sent e-mail addresses and card numbers to that model" without becoming a copy of them.

Detectors run in a fixed precedence order over each string; a validated match is masked before the
next detector runs, so one value is counted once (a card number is not also a phone number, the
digits of an IBAN are not also a card). Everything is offline: regular expressions, `ipaddress`,
Google's libphonenumber port (`phonenumbers`) and `python-stdnum`'s check-digit validators.

Memoised per distinct string (prompts repeat: templates, system prompts, retries) and per phone-number
candidate (libphonenumber is the costly detector), keyed by a digest so the caches hold no text, only the
types and counts found, in bounded memory.

Decisions: phone numbers are what libphonenumber calls valid in international form or in one of
`PHONE_REGIONS`' national forms; the NANP fiction range (555-01XX) is valid to it and is counted,
since the detector cannot know which numbers are real. US SSNs are counted only in the dashed or
spaced 3-2-4 form (a bare 9-digit number is too often something else). UK NINO is not covered:
python-stdnum has no validator for it.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import phonenumbers
from stdnum import iban, luhn
from stdnum.es import dni, nie
from stdnum.us import ssn

# Every type `scan` can report, in precedence order; the graph declares one count property per type.
PII_TYPES: tuple[str, ...] = (
    "aws_access_key_id", "aws_secret_access_key", "email", "iban", "payment_card", "us_ssn", "es_dni", "es_nie",
    "ipv6", "ipv4", "phone",
)
PHONE_REGIONS: tuple[str, ...] = ("US", "GB", "FR")
_MASK = "_"  # a word character: no detector's pattern can start or end inside a masked span

_ACCESS_KEY_RE = re.compile(r"(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])")
_SECRET_KEY_RE = re.compile(
    r"aws_?secret_?access_?key[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])", re.IGNORECASE)
# The look-behinds make each pattern start only at the beginning of a run, so a long run without a
# match costs linear, not quadratic, time.
_EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}"
    r"[A-Za-z]{2,24}(?![A-Za-z0-9-])")
_IBAN_RE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{1,4}){3,8}(?![A-Za-z0-9])")
_CARD_RE = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_CARD_PREFIX_RE = re.compile(r"^(?:4|5[1-5]|2[2-7]|3[47]|3[0689]|6(?:011|5|4[4-9]|2))")
_SSN_RE = re.compile(r"(?<![\d-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\d-])")
_DNI_RE = re.compile(r"(?<![A-Za-z0-9])\d{8}-?[A-Z](?![A-Za-z0-9])")
_NIE_RE = re.compile(r"(?<![A-Za-z0-9])[XYZ]-?\d{7}-?[A-Z](?![A-Za-z0-9])")
_IPV6_RE = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|\d{1,3}(?:\.\d{1,3}){3})?(?![\w:.])")
_IPV4_RE = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]|\.\d)")
# Where a phone number could be: 7+ digits with phone punctuation between them. libphonenumber's own
# matcher is run on these stretches only (plus one character of context each side), which keeps a
# body full of short numbers (token counts, ids, JSON) fast.
_PHONE_CANDIDATE_RE = re.compile(r"[+(]?\d(?:[ ().\-/]{0,3}\d){6,}\)?")

Span = tuple[int, int]


def _regex(pattern: re.Pattern[str], valid: Callable[[re.Match[str]], Span | None]) -> Callable[[str], list[Span]]:
    def find(text: str) -> list[Span]:
        spans = []
        for match in pattern.finditer(text):
            span = valid(match)
            if span is not None:
                spans.append(span)
        return spans
    return find


def _whole(match: re.Match[str]) -> Span:
    return match.span()


def _secret(match: re.Match[str]) -> Span:
    return match.span(1)


def _iban(match: re.Match[str]) -> Span | None:
    """The longest prefix of the candidate (whole groups) that is a valid IBAN: the pattern may run on
    into a following word."""
    parts = match.group().split(" ")
    for end in range(len(parts), 0, -1):
        candidate = " ".join(parts[:end])
        if len(candidate.replace(" ", "")) >= 15 and iban.is_valid(candidate):
            return match.start(), match.start() + len(candidate)
    return None


def _card(match: re.Match[str]) -> Span | None:
    text = match.group()
    separators = set(re.sub(r"\d", "", text))
    if len(separators) > 1:  # "1234 5678-9012 3456" is not how anyone writes a card number
        return None
    digits = re.sub(r"\D", "", text)
    if not _CARD_PREFIX_RE.match(digits) or not luhn.is_valid(digits):
        return None
    return match.span()


def _ssn(match: re.Match[str]) -> Span | None:
    return match.span() if ssn.is_valid(match.group(1) + match.group(3) + match.group(4)) else None


def _checked(validator: Callable[[str], bool]) -> Callable[[re.Match[str]], Span | None]:
    def valid(match: re.Match[str]) -> Span | None:
        return match.span() if validator(match.group()) else None
    return valid


def _ip(version: int) -> Callable[[re.Match[str]], Span | None]:
    def valid(match: re.Match[str]) -> Span | None:
        text = match.group()
        if version == 6 and sum(c.isalnum() for c in text) < 2:
            return None  # a bare "::" is punctuation far more often than an address
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            return None
        return match.span() if address.version == version else None
    return valid


CACHED_VALUES = 8192  # distinct strings (and phone candidates) whose findings are remembered


class _Findings:
    """A bounded memo: the digest of a string -> what was found in it (oldest forgotten first)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.found: dict[bytes, Any] = {}

    def get(self, text: str, compute: Callable[[str], Any]) -> Any:
        key = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        value = self.found.get(key)
        if value is None:
            if len(self.found) >= self.size:
                del self.found[next(iter(self.found))]
            value = self.found[key] = compute(text)
        return value


_PHONE_WINDOWS = _Findings(CACHED_VALUES)
_TEXTS = _Findings(CACHED_VALUES)


def _window_phones(window: str) -> tuple[Span, ...]:
    """Phone-number spans in one candidate's window, in the order the regions find them."""
    spans: list[Span] = []
    for region in PHONE_REGIONS:
        for match in phonenumbers.PhoneNumberMatcher(window, region, leniency=phonenumbers.Leniency.VALID):
            spans.append((match.start, match.end))
    return tuple(spans)


def _phones(text: str) -> list[Span]:
    spans: list[Span] = []
    for candidate in _PHONE_CANDIDATE_RE.finditer(text):
        offset = max(candidate.start() - 1, 0)
        window = text[offset:candidate.end() + 1]
        for found_start, found_end in _PHONE_WINDOWS.get(window, _window_phones):
            span = (offset + found_start, offset + found_end)
            if not any(start < span[1] and span[0] < end for start, end in spans):
                spans.append(span)
    return spans


_DETECTORS: tuple[tuple[str, Callable[[str], list[Span]]], ...] = (
    ("aws_access_key_id", _regex(_ACCESS_KEY_RE, _whole)),
    ("aws_secret_access_key", _regex(_SECRET_KEY_RE, _secret)),
    ("email", _regex(_EMAIL_RE, _whole)),
    ("iban", _regex(_IBAN_RE, _iban)),
    ("payment_card", _regex(_CARD_RE, _card)),
    ("us_ssn", _regex(_SSN_RE, _ssn)),
    ("es_dni", _regex(_DNI_RE, _checked(dni.is_valid))),
    ("es_nie", _regex(_NIE_RE, _checked(nie.is_valid))),
    ("ipv6", _regex(_IPV6_RE, _ip(6))),
    ("ipv4", _regex(_IPV4_RE, _ip(4))),
    ("phone", _phones),
)
assert tuple(name for name, _ in _DETECTORS) == PII_TYPES


def scan_text(text: str) -> Counter[str]:
    """PII types found in one string, with how many values of each."""
    if len(text) < 7:  # shorter than the shortest value any detector accepts ("1.2.3.4")
        return Counter()
    return Counter(dict(_TEXTS.get(text, _scan_counts)))


def _scan_counts(text: str) -> tuple[tuple[str, int], ...]:
    found: Counter[str] = Counter()
    for name, detect in _DETECTORS:
        spans = detect(text)
        if not spans:
            continue
        found[name] += len(spans)
        chars = list(text)
        for start, end in spans:
            chars[start:end] = _MASK * (end - start)
        text = "".join(chars)
    return tuple(found.items())


def strings(value: Any) -> Iterator[str]:
    """Every string value inside a parsed JSON value (dict keys are field names, not content)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def scan(values: Iterable[Any]) -> Counter[str]:
    """PII types (and counts) in all the string values of the given JSON values (request and response bodies)."""
    found: Counter[str] = Counter()
    for value in values:
        for text in strings(value):
            found.update(scan_text(text))
    return found
