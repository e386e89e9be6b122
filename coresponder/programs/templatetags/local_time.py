"""Dates and times in templates, on the clock of the program they belong to.

    {% load local_time %}
    {% local_datetime referral.received_at program %}        → <time …>Tue 10 Mar, 17:04</time>
    {% local_datetime entry.at entry.zone named=True %}      → … 17:04 MDT</time>
    {% local_date plan.opened_on program %}                  → <time …>12 Mar 2024</time>
    {% local_time shift.ends program %}                      → <time …>06:00</time>
    {{ f.due_at|local:program }}                             → plain text, for labels

The second argument is a Program, a service Location, a zone name or a zone.
See `coresponder/programs/local_time.py` for the rules.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils.html import format_html

from coresponder.programs import local_time as lt

register = template.Library()


def _time_element(value: dt.datetime | dt.date, where: Any, text: str) -> str:
    return format_html('<time datetime="{}">{}</time>', lt.iso(value, where), text)


@register.simple_tag
def local_datetime(
    value: dt.datetime | None,
    where: Any = None,
    named: bool = False,
    now: dt.datetime | None = None,
    seconds: bool = False,
) -> str:
    """`<time>` with the weekday, date, hour and minute in `where`'s zone."""
    if not isinstance(value, dt.datetime):
        return ""
    text = lt.format_datetime(value, where, now=now, named=named, seconds=seconds)
    return _time_element(value, where, text)


@register.simple_tag
def local_date(
    value: dt.date | dt.datetime | str | None,
    where: Any = None,
    weekday: bool = False,
    now: dt.datetime | None = None,
    with_year: bool = False,
) -> str:
    """`<time>` with the date alone; a datetime gives its date in `where`'s zone. The year
    is written when it is not this year, or always `with_year` (a range that spans two)."""
    day = lt.as_date(value, where)
    if day is None:
        return ""
    text = lt.format_date(day, where, now=now, weekday=weekday, with_year=with_year)
    return format_html('<time datetime="{}">{}</time>', day.isoformat(), text)


@register.simple_tag
def local_time(value: dt.datetime | None, where: Any = None, named: bool = False) -> str:
    """`<time>` with the hour and minute alone, for the end of a span on the same day."""
    if not isinstance(value, dt.datetime):
        return ""
    return _time_element(value, where, lt.format_time(value, where, named=named))


@register.filter(name="zone_words")
def zone_words(where: Any) -> str:
    """The zone of a program, a location or a zone name as people say it: "Eastern time"."""
    return lt.zone_words(where)


@register.simple_tag
def zone_abbreviation(where: Any, at: dt.datetime | None = None) -> str:
    """The zone's abbreviation now (or at `at`): "MST", "UTC+14"."""
    return lt.zone_abbreviation(lt.local(at or lt.timezone.now(), where))


@register.filter(name="local")
def local_text(value: dt.datetime | None, where: Any = None) -> str:
    """The same text as `local_datetime`, without markup: for labels and hidden text."""
    if not isinstance(value, dt.datetime):
        return ""
    return lt.format_datetime(value, where)


@register.filter(name="local_named")
def local_named_text(value: dt.datetime | None, where: Any = None) -> str:
    """`local`, with the zone named."""
    if not isinstance(value, dt.datetime):
        return ""
    return lt.format_datetime(value, where, named=True)


@register.filter(name="local_day")
def local_day_text(value: dt.date | dt.datetime | str | None, where: Any = None) -> str:
    """The same text as `local_date`, without markup; ISO date texts are read too."""
    return lt.format_date(value, where)


@register.filter
def zone_for(zones: Any, slug: Any) -> str:
    """The zone of the program `slug` in a slug → zone mapping; the "" entry for any other."""
    if not isinstance(zones, dict):
        return ""
    return str(zones.get(slug) or zones.get("", ""))
