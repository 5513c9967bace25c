"""PII detection: exact counts per type, near-misses that must not count, and one value counted once."""

from __future__ import annotations

import random
import time
from collections import Counter

import pytest

from graphgov.core.pii import PII_TYPES, scan, scan_text


@pytest.mark.parametrize(("text", "expected"), [
    # e-mail
    ("write to jane.doe@example.com or ops+alerts@mail.example.org", {"email": 2}),
    ("not an address: user@localhost, @example.com, jane@", {}),
    # phone numbers: international anywhere, national in the default regions (US, GB, FR)
    ("call +44 20 7946 0123, (415) 555-2671 or 01 42 68 53 00", {"phone": 3}),
    ("+49 30 901820 and +81 3-1234-5678", {"phone": 2}),
    ("the NANP fiction range counts too: +1-202-555-0142", {"phone": 1}),
    ("seven digits without an area code: 555-1234; a date 2024-01-15; an id 1234567890", {}),
    # payment cards: Luhn-valid, a known card prefix, one kind of separator
    ("4111 1111 1111 1111, 4111-1111-1111-1111, 5555555555554444 and 378282246310005", {"payment_card": 4}),
    ("Luhn fails: 4111 1111 1111 1112; no card prefix: 0000 0000 0000 0000; mixed: 4111 1111-1111 1111", {}),
    # national ids
    ("SSN 123-45-6789 and 123 45 6789", {"us_ssn": 2}),
    ("invalid SSNs: 000-12-3456, 666-12-3456, 900-12-3456, 123-00-6789, 078-05-1120", {}),
    ("IBAN GB82 WEST 1234 5698 7654 32 and DE89370400440532013000 THEN", {"iban": 2}),
    ("bad check digits: GB82 WEST 1234 5698 7654 33", {}),
    ("DNI 12345678Z, NIE X1234567L", {"es_dni": 1, "es_nie": 1}),
    ("wrong letters: 12345678A, X1234567A", {}),
    # AWS credentials
    ("AKIAIOSFODNN7EXAMPLE and ASIAY34FZKBOKMUTVV7A", {"aws_access_key_id": 2}),
    ("AKIAIOSFODNN7EXAMPLEX is too long, AKIAshort too short, akiaiosfodnn7example lower case", {}),
    ('aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"', {"aws_secret_access_key": 1}),
    ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY alone is not claimed to be a secret", {}),
    # IP addresses
    ("from 10.0.0.1, 192.0.2.10 and 2001:db8::7, fe80::1", {"ipv4": 2, "ipv6": 2}),
    ("256.1.1.1, 1.2.3.4.5, 12:30:45, arn:aws:iam::123456789012:role/x, v1:0, ::", {}),
    ("::ffff:192.0.2.1 is one (IPv6) address", {"ipv6": 1}),
])
def test_exact_counts(text, expected):
    assert dict(scan_text(text)) == expected


def test_a_value_counts_once_under_the_first_detector():
    # the card's digits would also pass as a phone number elsewhere; the IBAN's digits hold no card
    assert scan_text("card 4111 1111 1111 1111 and IBAN DE89 3704 0044 0532 0130 00") == Counter(
        {"payment_card": 1, "iban": 1})
    assert scan_text("mail jane.doe@example.com from 192.0.2.10") == Counter({"email": 1, "ipv4": 1})


def test_scan_walks_string_values_only():
    body = {"messages": [{"role": "user", "content": [{"text": "mail jane.doe@example.com"}]}],
            "jane.doe@example.com": 5551234567, "max_tokens": 4111111111111111, "stop": ["call +44 20 7946 0123"]}
    assert scan([body, None, "ASIAY34FZKBOKMUTVV7A"]) == Counter(
        {"email": 1, "phone": 1, "aws_access_key_id": 1})


def test_types_are_the_declared_ones():
    assert PII_TYPES == ("aws_access_key_id", "aws_secret_access_key", "email", "iban", "payment_card", "us_ssn",
                         "es_dni", "es_nie", "ipv6", "ipv4", "phone")


def test_scan_speed_on_a_100_kb_body(capsys):
    """Not a timing assertion: measures and prints, so a regression shows in `-s` output."""
    rng = random.Random(1)
    words = ["the", "customer", "reports", "a", "duplicate", "card", "charge", "on", "one", "order", "and", "asks",
             "for", "a", "refund"]
    values = ["jane.doe@example.com", "+1-202-555-0142", "4111 1111 1111 1111", "10.0.0.1", "TX-1234567"]
    parts: list[str] = []
    size = 0
    while size < 100_000:
        parts.append(rng.choice(values) if rng.random() < 0.01 else rng.choice(words))
        size += len(parts[-1]) + 1
    text = " ".join(parts)[:100_000]
    start = time.perf_counter()
    found = scan_text(text)
    elapsed = time.perf_counter() - start
    with capsys.disabled():
        print(f"\npii scan of {len(text)} characters: {elapsed * 1000:.1f} ms, {sum(found.values())} values")
    assert set(found) == {"email", "phone", "payment_card", "ipv4"}
