"""Records opened outside policy (break-glass) and the disclosures they made are kept the six
years an accounting of disclosures covers (45 CFR 164.528), then the daily purge deletes
them like the rest, unless a legal hold keeps them."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

import pytest

from coresponder.conftest import Clock
from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.presets import (
    BREAK_GLASS_MIN_DAYS,
    PresetError,
    Retention,
    load_preset_file,
    parse_preset,
)
from coresponder.domain.vocabulary import Role
from coresponder.operations.retention.actions import PURGE, apply_retention, set_legal_hold
from coresponder.people.tests.factories import PersonFactory
from coresponder.privacy.models import BreakGlass, Disclosure
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)
PRESETS = Path(__file__).resolve().parents[3] / "presets"
REASON = "Unresponsive at the crisis centre; need treatment history"


@pytest.fixture
def world(pad: Program, clock: Clock) -> World:
    return build_world(pad)


def break_the_glass(world: World, api_client_for: Any) -> BreakGlass:
    """A clinician opens the person's record and reads it: a disclosure under the opening."""
    client = api_client_for(reader(world, Role.CLINICIAN))
    url = f"/api/v1/persons/{world.person.pk}"
    opened = client.post(f"{url}/break-glass", {"reason": REASON}, content_type="application/json")
    assert opened.status_code == 201, opened.content
    assert client.get(url).status_code == 200
    return BreakGlass.objects.get(pk=opened.json()["id"])


def under(glass: BreakGlass) -> int:
    return Disclosure.objects.filter(break_glass=glass).count()


def purge_of(run: Any) -> Any:
    return next(result for result in run.kinds if result.kind == "break_glass")


def test_an_opening_is_filed_under_its_program_with_the_disclosures_it_made(
    pad: Program, world: World, api_client_for: Any
) -> None:
    glass = break_the_glass(world, api_client_for)

    assert glass.program == pad
    made = Disclosure.objects.filter(person=world.person, consent__isnull=True)
    assert made.exists()
    assert {d.break_glass_id for d in made} == {glass.pk}
    assert all(d.purpose == f"break-glass: {REASON}" for d in made)


def test_an_opening_and_its_disclosures_are_kept_six_years_then_deleted(
    pad: Program, world: World, api_client_for: Any, clock: Clock
) -> None:
    glass = break_the_glass(world, api_client_for)
    disclosures = under(glass)
    assert pad.rules.retention.break_glass_days == 2190
    kept_until = glass.expires_at + 2190 * DAY

    before = apply_retention(SYSTEM, pad, kept_until - dt.timedelta(minutes=1))

    assert BreakGlass.objects.filter(pk=glass.pk).exists() and under(glass) == disclosures
    assert purge_of(before).expired == 0

    after = apply_retention(SYSTEM, pad, kept_until + dt.timedelta(minutes=1))

    assert not BreakGlass.objects.filter(pk=glass.pk).exists()
    assert not Disclosure.objects.filter(person=world.person, consent__isnull=True).exists()
    result = purge_of(after)
    assert result.deleted == 1 and result.with_them == {"privacy.Disclosure": disclosures}
    event = AuditEvent.objects.get(object_type=PURGE, object_id="break_glass")
    assert event.detail["rule"] == "retention.break_glass_days = 2190"
    assert event.person_id is None and REASON not in str(event.detail)
    # The person stays; only the opening and its accounting rows went.
    world.person.refresh_from_db()


def test_a_legal_hold_keeps_an_opening_past_its_six_years(
    pad: Program, world: World, api_client_for: Any, clock: Clock
) -> None:
    glass = break_the_glass(world, api_client_for)
    disclosures = under(glass)
    set_legal_hold(SYSTEM, pad, "Complaint about the opening", clock.now, world.person)

    run = apply_retention(SYSTEM, pad, glass.expires_at + 3000 * DAY)

    assert BreakGlass.objects.filter(pk=glass.pk).exists() and under(glass) == disclosures
    assert purge_of(run).held == 1 and purge_of(run).deleted == 0
    assert not AuditEvent.objects.filter(object_type=PURGE, object_id="break_glass").exists()


def test_another_programs_rule_does_not_reach_an_opening(
    pad: Program, pco: Program, world: World, api_client_for: Any, clock: Clock
) -> None:
    glass = break_the_glass(world, api_client_for)
    elsewhere = BreakGlass.objects.create(
        user=glass.user,
        person=PersonFactory.create(),
        program=pco,
        reason=REASON,
        opened_at=clock.now - 3000 * DAY,
        expires_at=clock.now - 2999 * DAY,
    )

    apply_retention(SYSTEM, pco, glass.expires_at + 3000 * DAY)

    assert BreakGlass.objects.filter(pk=glass.pk).exists()
    assert not BreakGlass.objects.filter(pk=elsewhere.pk).exists()


def test_every_shipped_preset_keeps_openings_six_years() -> None:
    assert Retention().break_glass_days == BREAK_GLASS_MIN_DAYS == 2190
    for path in sorted(PRESETS.glob("*.toml")):
        text = path.read_text(encoding="utf-8")
        assert "\nbreak_glass_days = " in text, path.name
        assert load_preset_file(path).retention.break_glass_days >= BREAK_GLASS_MIN_DAYS


def test_a_preset_keeping_openings_less_than_six_years_is_refused_by_file_and_key(
    tmp_path: Path,
) -> None:
    text = (PRESETS / "pad.toml").read_text(encoding="utf-8")
    path = tmp_path / "pad.toml"
    path.write_text(
        text.replace("break_glass_days = 2190", "break_glass_days = 365"), encoding="utf-8"
    )

    with pytest.raises(PresetError) as caught:
        load_preset_file(path)

    message = str(caught.value)
    assert str(path) in message and "retention.break_glass_days" in message
    assert "2190" in message and "365" in message and "164.528" in message


def test_a_preset_without_the_key_keeps_openings_six_years() -> None:
    text = (PRESETS / "pad.toml").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("break_glass_days")]
    preset = parse_preset(tomllib.loads("\n".join(lines)), "pad.toml")
    assert preset.retention.break_glass_days == 2190
