"""The demo's sample NEMSIS file, its times moved to the hours before the download.

The file shipped in `samples/` is a valid export of a morning in February 2025.
Offered as it is, its overdoses would be weeks past PCO's 12–72 hour follow-up
window and open no task anyone could still work. So the download moves every
time by the same amount, the last 911 call two hours before `now`, and numbers
the reports for that minute, so each download is a new export of new runs.

The runs took place around Plymouth, MA. Downloaded for a program elsewhere, they are
moved to its area as they stand to one another, named for its town and its hospital, with
no ZIP code, and its agency and report numbers carry the program's code: imported, they
land on its map, in its districts and its queue, not hundreds of miles away.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from django.utils.html import escape

from coresponder.domain.directory import great_circle_km
from coresponder.domain.presets import Area

SAMPLE = Path(__file__).resolve().parent / "samples" / "pco-demo-nemsis.xml"
MOMENT = re.compile(rb"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}")
LAST_CALL_BEFORE_NOW = dt.timedelta(hours=2)
# Where the shipped file's runs are: the centre of Plymouth County's demo area.
SAMPLE_AREA = Area(name="Plymouth County, MA", latitude=41.9584, longitude=-70.6673, radius_km=25)
GPS = re.compile(rb"<eScene\.11>(-?\d+\.\d+),(-?\d+\.\d+)</eScene\.11>")
TOWN = re.compile(rb"<eScene\.17>[^<]*</eScene\.17>")
ZIP = re.compile(rb"<eScene\.19>[^<]*</eScene\.19>")
HOSPITAL = re.compile(rb"<eDisposition\.01>[^<]*</eDisposition\.01>")


def _moved_to(data: bytes, area: Area) -> bytes:
    """The runs moved from the sample's area to `area`, as they stand to one another."""
    north = area.latitude - SAMPLE_AREA.latitude
    east = area.longitude - SAMPLE_AREA.longitude

    def gps(match: re.Match[bytes]) -> bytes:
        latitude = float(match.group(1)) + north
        longitude = float(match.group(2)) + east
        return f"<eScene.11>{latitude:.4f},{longitude:.4f}</eScene.11>".encode()

    town = f"<eScene.17>{escape(area.name)}</eScene.17>".encode()
    data = GPS.sub(gps, data)
    data = TOWN.sub(lambda _match: town, data)
    hospital = f"<eDisposition.01>{escape(area.name)} Hospital</eDisposition.01>".encode()
    data = HOSPITAL.sub(lambda _match: hospital, data)
    return ZIP.sub(b"", data)


def recent_sample(now: dt.datetime, area: Area | None = None, slug: str = "pco") -> bytes:
    """The sample file as if exported at `now` (an aware time) by an agency of the program
    whose `slug` and `area` are given."""
    data = SAMPLE.read_bytes()
    if (
        area is not None
        and great_circle_km(
            area.latitude, area.longitude, SAMPLE_AREA.latitude, SAMPLE_AREA.longitude
        )
        > SAMPLE_AREA.radius_km
    ):
        data = _moved_to(data, area)
    moments = [dt.datetime.fromisoformat(m.decode()) for m in MOMENT.findall(data)]
    shift = (now - LAST_CALL_BEFORE_NOW) - max(moments)
    shift = dt.timedelta(minutes=int(shift.total_seconds() // 60))

    def moved(match: re.Match[bytes]) -> bytes:
        moment = dt.datetime.fromisoformat(match.group().decode()) + shift
        return moment.isoformat().encode()

    stamp = now.astimezone(dt.UTC).strftime("%Y%m%d%H%M").encode()
    prefix = slug.upper().encode()
    data = data.replace(b"PCO-EMS-", prefix + b"-EMS-")
    return MOMENT.sub(moved, data).replace(b"PCO-DEMO-", prefix + b"-" + stamp + b"-")
