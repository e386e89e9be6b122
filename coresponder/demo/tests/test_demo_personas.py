from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from coresponder.conftest import Clock
from coresponder.demo.cast import DEMO_TOTP_SECRET
from coresponder.domain.totp import totp


@pytest.mark.django_db
def test_it_says_how_to_load_personas_when_there_are_none() -> None:
    out = StringIO()
    call_command("demo_personas", stdout=out)
    assert "No demo personas yet" in out.getvalue()
    assert "coresponder demo_data" in out.getvalue()


def test_demo_totp_prints_the_current_code_of_the_published_demo_secret(clock: Clock) -> None:
    out, err = StringIO(), StringIO()

    call_command("demo_totp", stdout=out, stderr=err)

    assert out.getvalue() == totp(DEMO_TOTP_SECRET, clock.now) + "\n"
    assert "good for 30 more seconds" in err.getvalue()
