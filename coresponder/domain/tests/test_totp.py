"""One-time codes match the RFC 4226 and RFC 6238 test vectors, and are never reused."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlparse

import pytest

from coresponder.domain.totp import (
    decode_secret,
    encode_secret,
    hotp,
    matching_step,
    provisioning_uri,
    time_step,
    totp,
)

# The shared secret of both RFCs' SHA-1 vectors: the ASCII digits "1234567890" twice.
RFC_KEY = b"12345678901234567890"
RFC_SECRET = encode_secret(RFC_KEY)


def at(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)


@pytest.mark.parametrize(
    ("counter", "code"),
    list(
        enumerate(
            [
                "755224",
                "287082",
                "359152",
                "969429",
                "338314",
                "254676",
                "287922",
                "162583",
                "399871",
                "520489",
            ]
        )
    ),
)
def test_hotp_gives_the_rfc_4226_appendix_d_codes(counter: int, code: str) -> None:
    assert hotp(RFC_KEY, counter) == code


# RFC 6238 Appendix B, SHA-1 rows: eight digits at each Unix time.
@pytest.mark.parametrize(
    ("seconds", "code"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_totp_gives_the_rfc_6238_appendix_b_sha1_codes(seconds: int, code: str) -> None:
    assert totp(RFC_SECRET, at(seconds), digits=8) == code


def test_a_six_digit_code_is_the_last_six_digits_of_the_eight_digit_one() -> None:
    assert totp(RFC_SECRET, at(59)) == "287082"


def test_a_step_is_thirty_seconds_from_the_epoch() -> None:
    assert time_step(at(59)) == 1
    assert time_step(at(60)) == 2
    assert time_step(at(1111111109)) == 0x23523EC


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        time_step(dt.datetime(2025, 3, 10, 12))  # noqa: DTZ001 - the point of the test


def test_a_secret_round_trips_through_base32_without_padding() -> None:
    assert RFC_SECRET == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    assert decode_secret(RFC_SECRET) == RFC_KEY


def test_a_secret_may_be_typed_in_lower_case_with_spaces() -> None:
    assert decode_secret("gezd gnbv gy3t qojq gezd gnbv gy3t qojq") == RFC_KEY


def test_the_current_code_matches_its_step() -> None:
    now = at(1234567890)

    assert matching_step(RFC_SECRET, totp(RFC_SECRET, now), now) == time_step(now)


@pytest.mark.parametrize("drift", [-30, 30])
def test_a_code_from_one_step_either_side_is_accepted(drift: int) -> None:
    now = at(1234567890)
    code = totp(RFC_SECRET, now + dt.timedelta(seconds=drift))

    assert matching_step(RFC_SECRET, code, now) == time_step(now) + drift // 30


@pytest.mark.parametrize("drift", [-60, 60])
def test_a_code_from_two_steps_away_is_refused(drift: int) -> None:
    now = at(1234567890)
    code = totp(RFC_SECRET, now + dt.timedelta(seconds=drift))

    assert matching_step(RFC_SECRET, code, now) is None


def test_a_code_at_or_before_the_last_used_step_is_refused() -> None:
    now = at(1234567890)
    code = totp(RFC_SECRET, now)

    assert matching_step(RFC_SECRET, code, now, after_step=time_step(now)) is None
    assert matching_step(RFC_SECRET, code, now, after_step=time_step(now) - 1) == time_step(now)


def test_the_next_steps_code_is_still_accepted_after_this_ones_was_used() -> None:
    now = at(1234567890)
    later = now + dt.timedelta(seconds=30)

    step = matching_step(RFC_SECRET, totp(RFC_SECRET, later), later, after_step=time_step(now))

    assert step == time_step(later)


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12 34 5x"])
def test_a_code_that_is_not_six_digits_is_refused(code: str) -> None:
    assert matching_step(RFC_SECRET, code, at(59)) is None


def test_a_code_typed_with_a_space_in_the_middle_still_matches() -> None:
    now = at(59)
    code = totp(RFC_SECRET, now)

    assert matching_step(RFC_SECRET, f"{code[:3]} {code[3:]}", now) == 1


def test_the_provisioning_uri_names_the_issuer_account_and_parameters() -> None:
    uri = provisioning_uri(RFC_SECRET, "pat.coordinator", "Coresponder")

    parsed = urlparse(uri)
    assert (parsed.scheme, parsed.netloc, parsed.path) == (
        "otpauth",
        "totp",
        "/Coresponder:pat.coordinator",
    )
    assert parse_qs(parsed.query) == {
        "secret": [RFC_SECRET],
        "issuer": ["Coresponder"],
        "algorithm": ["SHA1"],
        "digits": ["6"],
        "period": ["30"],
    }
