"""Time-based one-time passwords: HOTP (RFC 4226) over 30-second steps (RFC 6238).

The second factor CJIS asks of every interactive sign-in. Secrets travel as
unpadded base32, the form authenticator apps expect. `now` is always passed in.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import struct
from urllib.parse import quote, urlencode

# RFC 6238 defaults, which every common authenticator app assumes.
STEP_SECONDS = 30
DIGITS = 6
# RFC 6238 §5.2: accept one step either side to allow for clock drift.
DRIFT_STEPS = 1
# RFC 4226 §4 asks for at least 128 bits of shared secret and recommends 160.
SECRET_BYTES = 20


def encode_secret(raw: bytes) -> str:
    """Base32 without padding: what people type into an authenticator app."""
    return base64.b32encode(raw).decode("ascii").rstrip("=")


def decode_secret(secret: str) -> bytes:
    """The key bytes of a base32 secret; spaces and case do not matter."""
    cleaned = "".join(secret.split()).upper()
    padded = cleaned + "=" * (-len(cleaned) % 8)
    return base64.b32decode(padded)


def hotp(key: bytes, counter: int, digits: int = DIGITS) -> str:
    """RFC 4226 §5.3: HMAC-SHA-1 of the counter, dynamically truncated."""
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    (number,) = struct.unpack(">I", mac[offset : offset + 4])
    return str((number & 0x7FFFFFFF) % 10**digits).zfill(digits)


def time_step(now: dt.datetime) -> int:
    """RFC 6238 §4.2: whole 30-second steps since the Unix epoch."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return int(now.timestamp()) // STEP_SECONDS


def totp(secret: str, now: dt.datetime, digits: int = DIGITS) -> str:
    """The code an authenticator app shows at `now`."""
    return hotp(decode_secret(secret), time_step(now), digits)


def matching_step(
    secret: str, code: str, now: dt.datetime, *, after_step: int | None = None
) -> int | None:
    """The step whose code `code` is, within the drift window, or None.

    Steps at or before `after_step` (the last one used) never match: RFC 6238
    §5.2 forbids accepting a code again once it has been used.
    """
    typed = "".join(code.split())
    if len(typed) != DIGITS or not typed.isdigit():
        return None
    key = decode_secret(secret)
    current = time_step(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if after_step is not None and step <= after_step:
            continue
        if hmac.compare_digest(hotp(key, step), typed):
            return step
    return None


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """An otpauth:// URI (the Key URI Format apps read) for typing or a QR code."""
    label = quote(f"{issuer}:{account}", safe=":@")
    query = urlencode(
        {
            "secret": secret,
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": STEP_SECONDS,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{query}"
