"""Overdose referrals the fault tests send through the API, as docs/api.md describes them."""

from __future__ import annotations

import datetime as dt
from typing import Any

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
OVERDOSE: dict[str, Any] = {
    "program": "pco",
    "pathway": "naloxone_plus",
    "received_at": NOW.isoformat(),
    "person": {"given_name": "Jo", "family_name": "Marsh", "birth_date": "1991-03-02"},
    "overdose": {
        "occurred_at": (NOW - dt.timedelta(hours=1)).isoformat(),
        "fatal": False,
        "naloxone_doses": 2,
        "latitude": 41.95,
        "longitude": -70.66,
        "source": "ems",
    },
}


def overdose(n: int) -> dict[str, Any]:
    """The Nth of several overdoses, each of its own person, hours apart."""
    occurred = dt.datetime.fromisoformat(OVERDOSE["overdose"]["occurred_at"])
    return {
        **OVERDOSE,
        "person": {**OVERDOSE["person"], "given_name": f"Jo{n}"},
        "overdose": {
            **OVERDOSE["overdose"],
            "occurred_at": (occurred - dt.timedelta(hours=3 * n)).isoformat(),
            "latitude": 41.95 + n / 100,
        },
    }
