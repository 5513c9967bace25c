import pytest

from graphgov.times import to_utc_iso


@pytest.mark.parametrize(("raw", "iso"), [
    ("2014-07-18T15:07:39Z", "2014-07-18T15:07:39Z"),
    ("2025-01-21 17:49:47.000000000", "2025-01-21T17:49:47Z"),  # vendor export
    ("2022-02-08 09:23:37+11:00", "2022-02-07T22:23:37Z"),  # LookupEvents local time
    ("2020-11-05 21:21:46Z", "2020-11-05T21:21:46Z"),
    (1583425836114, "2020-03-05T16:30:36Z"),  # epoch ms
    ("1737735732", "2025-01-24T16:22:12Z"),  # epoch s as string
])
def test_times_normalise_to_fixed_width_utc(raw, iso):
    assert to_utc_iso(raw) == iso


@pytest.mark.parametrize("bad", [None, "", "Jul 18, 2023, 4:07:39 PM", "yesterday", True])
def test_unreadable_times_raise(bad):
    with pytest.raises(ValueError):
        to_utc_iso(bad)
