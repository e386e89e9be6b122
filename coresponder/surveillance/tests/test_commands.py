"""`coresponder detect_spikes` and the worker's pass."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from coresponder.outreach.management.commands.run_worker import send_all
from coresponder.programs.models import Program
from coresponder.surveillance.models import SpikeAlert, SpikeCheck
from coresponder.surveillance.tests.conftest import NOW, TODAY, AddOverdoses

pytestmark = pytest.mark.django_db


def test_the_command_checks_a_named_program_and_day(
    quiet_fortnight: Program, add_overdoses: AddOverdoses
) -> None:
    add_overdoses(quiet_fortnight, TODAY, 6, "24")
    out = StringIO()
    call_command("detect_spikes", "--program", "pad", "--day", TODAY.isoformat(), stdout=out)
    assert f"pad {TODAY.isoformat()}: 2 new alert(s): 24th District (6)" in out.getvalue()
    assert SpikeAlert.objects.filter(program=quiet_fortnight).count() == 2
    out = StringIO()
    call_command("detect_spikes", "--program", "pad", "--day", TODAY.isoformat(), stdout=out)
    assert "0 new alert(s)" in out.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--program", "nope"], "No program nope"),
        (["--day", "soon"], "--day must be a date"),
        (["--day", "0001-01-01"], "--day: give a date between 1900 and 2200"),
        (["--day", "9999-12-31"], "--day: give a date between 1900 and 2200"),
    ],
)
def test_the_command_refuses_bad_arguments(
    programs: dict[str, Program], args: list[str], message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("detect_spikes", *args)


def test_the_command_refuses_a_day_that_has_not_begun_and_checks_nothing(
    programs: dict[str, Program],
) -> None:
    # A day still to come has no overdoses yet: "0 new alerts" for it would only mislead.
    with pytest.raises(CommandError, match="--day: 2199-01-01 has not begun in pad"):
        call_command("detect_spikes", "--program", "pad", "--day", "2199-01-01")

    # Every program checked files a check, alerts or none: no check is filed at all.
    assert not SpikeCheck.objects.exists()
    assert not SpikeAlert.objects.exists()


def test_the_worker_pass_counts_new_spike_alerts(
    quiet_fortnight: Program, add_overdoses: AddOverdoses
) -> None:
    add_overdoses(quiet_fortnight, TODAY, 6, "24")
    assert send_all(NOW)["spike_alerts"] == 2
    assert send_all(NOW + dt.timedelta(minutes=1))["spike_alerts"] == 0
