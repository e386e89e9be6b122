"""A call-taker entering a 911 call whose CAD number the program has already is shown the
call recorded, with a link to it, rather than told of a call number they cannot open."""

from __future__ import annotations

import re

import pytest

from coresponder.domain.vocabulary import Role
from coresponder.intake.models import Call
from coresponder.intake.tests.test_referral_forms import follow, programs, signed_in, staff
from coresponder.programs.models import Program

__all__ = ["programs"]

pytestmark = pytest.mark.django_db

CALL = {
    "received_at": "2026-11-20T04:45",
    "call_call_type": "welfare_check",
    "call_cad_number": "LPD-2026-004512",
}


def test_a_cad_number_entered_again_links_to_the_call_recorded_and_saves_nothing(
    programs: dict[str, Program],
) -> None:
    client = signed_in(staff(programs["core"], Role.OFFICER))
    url = "/programs/core/referrals/new/community_response/"
    follow(client, client.post(url, CALL))
    recorded = Call.objects.get()
    again = client.post(url, {**CALL, "call_narrative": "Second caller, same address"})
    assert again.status_code == 422
    html = again.content.decode()
    page = " ".join(re.sub(r"<[^>]+>", "", html).split())
    assert "This call is recorded already" in page
    assert f'href="/programs/core/referrals/{recorded.referral_id}/"' in html
    assert "received Fri 20 Nov, 04:45 MST" in page
    assert f"call {recorded.pk};" not in page  # a number the call-taker has no page for
    assert Call.objects.count() == 1
