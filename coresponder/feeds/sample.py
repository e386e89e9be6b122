"""The demo's sample NEMSIS file, its times moved to the hours before the download.

The file shipped in `samples/` is a valid export of a morning in February 2025.
Offered as it is, its overdoses would be weeks past PCO's 12–72 hour follow-up
window and open no task anyone could still work. So the download moves every
time by the same amount, the last 911 call two hours before `now`, and numbers
the reports for that minute, so each download is a new export of new runs.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

SAMPLE = Path(__file__).resolve().parent / "samples" / "pco-demo-nemsis.xml"
MOMENT = re.compile(rb"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}")
LAST_CALL_BEFORE_NOW = dt.timedelta(hours=2)


def recent_sample(now: dt.datetime) -> bytes:
    """The sample file as if exported at `now` (an aware time)."""
    data = SAMPLE.read_bytes()
    moments = [dt.datetime.fromisoformat(m.decode()) for m in MOMENT.findall(data)]
    shift = (now - LAST_CALL_BEFORE_NOW) - max(moments)
    shift = dt.timedelta(minutes=int(shift.total_seconds() // 60))

    def moved(match: re.Match[bytes]) -> bytes:
        moment = dt.datetime.fromisoformat(match.group().decode()) + shift
        return moment.isoformat().encode()

    stamp = now.astimezone(dt.UTC).strftime("%Y%m%d%H%M").encode()
    return MOMENT.sub(moved, data).replace(b"PCO-DEMO-", b"PCO-" + stamp + b"-")
