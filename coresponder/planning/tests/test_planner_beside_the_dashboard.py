"""An analyst's capacity plan stands on the figure the dashboard gives them, and no other.

QRT (America/New_York) takes no 911 calls, so it plans from its referrals, every one of
them eligible. Today is Thursday 3 Dec 2026: the last full quarter is Q3 2026. The
dashboard gives the analyst each finished quarter's referrals, 1 to 10 hidden; a plan
standing on a span of several quarters would give a hidden one away by subtraction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.test import Client

from coresponder.conftest import Clock, member_of, sign_in
from coresponder.domain.suppression import recoverable
from coresponder.domain.vocabulary import Role
from coresponder.intake.models import Referral
from coresponder.programs.models import Program, User

NY = ZoneInfo("America/New_York")
URL = "/programs/qrt/planning/"
API = "/api/v1/programs/qrt/metrics"
# Each quarter's first day, last day and referrals: the first quarter's few are hidden.
QUARTERS = (
    (dt.date(2025, 10, 1), dt.date(2025, 12, 31), 4),
    (dt.date(2026, 1, 1), dt.date(2026, 3, 31), 15),
    (dt.date(2026, 4, 1), dt.date(2026, 6, 30), 15),
    (dt.date(2026, 7, 1), dt.date(2026, 9, 30), 15),
)


def _refer(program: Program, first: dt.date, count: int, *, eligible: bool = True) -> None:
    Referral.objects.bulk_create(
        Referral(
            program=program,
            pathway="naloxone_plus",
            received_at=dt.datetime.combine(
                first + dt.timedelta(days=3 * i), dt.time(9 + i % 12), tzinfo=NY
            ),
            eligible=eligible,
        )
        for i in range(count)
    )


def _analyst(program: Program) -> User:
    return member_of(program, Role.ANALYST, "qrt-analyst")


def test_an_analysts_plan_gives_no_hidden_quarter_of_the_dashboard_away(
    programs: dict[str, Program], clock: Clock, api_client_for: Callable[[User], Client]
) -> None:
    clock.now = dt.datetime(2026, 12, 3, 18, tzinfo=dt.UTC)
    qrt = programs["qrt"]
    for first, _last, count in QUARTERS:
        _refer(qrt, first, count)
    analyst = _analyst(qrt)
    api = api_client_for(analyst)
    figures: dict[object, tuple[dict[dt.date, int], int | None]] = {}
    for first, last, _count in QUARTERS:
        body = api.get(API, {"start": first.isoformat(), "end": last.isoformat()}).json()
        figures[first] = ({first: 1}, body["referrals"])
    assert figures[QUARTERS[0][0]][1] is None  # the dashboard hides the quarter's four

    page = sign_in(Client(), analyst).get(URL)
    history = page.context["history"]
    planned = {
        first: 1
        for first, last, _count in QUARTERS
        if history.first_day <= first and last <= history.last_day
    }
    assert planned, "the plan stands on whole quarters"
    figures["plan"] = (planned, page.context["counts"]["observed"])

    assert recoverable(figures) == set()


def test_an_analysts_plan_counts_the_quarters_referrals_as_the_dashboard_does(
    programs: dict[str, Program], clock: Clock, api_client_for: Callable[[User], Client]
) -> None:
    # Three ineligible referrals beside 15 eligible: a plan counting the eligible alone
    # would tell, beside the dashboard's 18, that three were turned away.
    clock.now = dt.datetime(2026, 12, 3, 18, tzinfo=dt.UTC)
    qrt = programs["qrt"]
    first, last, count = QUARTERS[-1]
    _refer(qrt, first, count)
    _refer(qrt, first + dt.timedelta(days=1), 3, eligible=False)
    analyst = _analyst(qrt)
    shown = (
        api_client_for(analyst)
        .get(API, {"start": str(first), "end": str(last)})
        .json()["referrals"]
    )
    page = sign_in(Client(), analyst).get(URL)

    assert (page.context["history"].first_day, page.context["history"].last_day) == (first, last)
    assert page.context["counts"]["observed"] == shown == 18
    assert "Referrals (the program takes no 911 calls)" in page.content.decode()
    assert "18 in Q3 2026" in page.content.decode()
