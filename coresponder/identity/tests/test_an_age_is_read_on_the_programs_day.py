"""An age with no event date is an age today where the program is, not on the server's
(UTC) date: late evening in Philadelphia is already tomorrow in UTC."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from coresponder.programs.models import User

pytestmark = pytest.mark.django_db

# 22:00 on 31 Dec 2026 in Philadelphia: 1 Jan 2027 on the server's clock.
EVENING = dt.datetime(2027, 1, 1, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def evening(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timezone, "now", lambda: EVENING)


def test_an_age_without_an_event_date_is_read_on_the_programs_today(
    officer: User, api_client_for: Any, evening: None
) -> None:
    client = api_client_for(officer)
    # Born 1 Jan 1997: 29 on the program's today (31 Dec 2026), 30 only on the server's.
    asked = {"family_name": "Reyes", "birth_date": "1997-01-01"}
    thirty = client.get("/api/v1/persons/matches", {**asked, "age": 30})
    assert thirty.status_code == 422, thirty.content
    assert thirty.json()["errors"]["age"] == [
        "is not the age on 2026-12-31 of someone born 1997-01-01"
    ]
    assert client.get("/api/v1/persons/matches", {**asked, "age": 29}).status_code == 200


def test_an_event_date_after_the_programs_today_is_in_the_future(
    officer: User, api_client_for: Any, evening: None
) -> None:
    client = api_client_for(officer)
    asked = {"family_name": "Reyes", "event_date": "2027-01-01"}
    response = client.get("/api/v1/persons/matches", asked)
    assert response.status_code == 422, response.content
    assert response.json()["errors"]["event_date"] == ["cannot be in the future"]
