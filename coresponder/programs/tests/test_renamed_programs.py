"""A program whose preset changed its slug keeps its people: `formerly` renames it."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client

from coresponder.conftest import sign_in
from coresponder.core.audit import SYSTEM
from coresponder.core.models import AuditEvent
from coresponder.domain.presets import PresetError
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Membership, Program
from coresponder.programs.tests.factories import MembershipFactory, ProgramFactory, UserFactory

pytestmark = pytest.mark.django_db

SLUGS = ["core", "pad", "pco", "qrt"]


@pytest.fixture
def preset_dir(tmp_path: Path) -> Path:
    """A private copy of the shipped presets a test may edit, loaded once."""
    target = tmp_path / "presets"
    shutil.copytree(settings.PRESETS_DIR, target)
    load_programs(SYSTEM, target)
    return target


def rename_file(directory: Path, old: str, new: str, *, formerly: str | None = None) -> None:
    """Move `old.toml` to `new.toml` with the new slug, naming `formerly` if given."""
    text = (directory / f"{old}.toml").read_text(encoding="utf-8")
    assert f'slug = "{old}"' in text
    line = f'slug = "{new}"' + (f"\nformerly = {formerly}" if formerly else "")
    (directory / f"{new}.toml").write_text(text.replace(f'slug = "{old}"', line, 1), "utf-8")
    (directory / f"{old}.toml").unlink()


def slugs() -> list[str]:
    return sorted(Program.objects.values_list("slug", flat=True))


def test_a_preset_naming_its_former_slug_renames_the_program_with_its_people(
    preset_dir: Path,
) -> None:
    pad = Program.objects.get(slug="pad")
    membership = MembershipFactory.create(program=pad)
    rename_file(preset_dir, "pad", "phl-pad", formerly='["pad"]')

    result = load_programs(SYSTEM, preset_dir)

    assert result.renamed == [("pad", "phl-pad")]
    assert result.created == []
    assert slugs() == ["core", "pco", "phl-pad", "qrt"]
    renamed = Program.objects.get(slug="phl-pad")
    assert renamed.pk == pad.pk
    assert renamed.rules.formerly == ("pad",)
    assert Membership.objects.get(pk=membership.pk).program_id == pad.pk
    events = AuditEvent.objects.filter(object_type="programs.program", object_id=str(pad.pk))
    renames = [e for e in events if "renamed_from" in e.detail]
    assert [(e.action, e.program_slug, e.detail["renamed_from"]) for e in renames] == [
        ("change", "phl-pad", "pad")
    ]


def test_a_load_after_the_rename_changes_nothing(preset_dir: Path) -> None:
    rename_file(preset_dir, "pad", "phl-pad", formerly='["pad"]')
    load_programs(SYSTEM, preset_dir)
    events = AuditEvent.objects.count()

    result = load_programs(SYSTEM, preset_dir)

    assert (result.renamed, result.created, result.updated) == ([], [], [])
    assert result.unchanged == ["core", "pco", "phl-pad", "qrt"]
    assert AuditEvent.objects.count() == events


def test_it_refuses_a_rename_when_both_slugs_are_programs(preset_dir: Path) -> None:
    ProgramFactory.create(slug="phl-pad")
    events = AuditEvent.objects.count()
    rename_file(preset_dir, "pad", "phl-pad", formerly='["pad"]')

    with pytest.raises(PresetError) as caught:
        load_programs(SYSTEM, preset_dir)

    message = str(caught.value)
    assert "phl-pad.toml: formerly: " in message
    assert "'pad' and 'phl-pad' are both programs" in message
    assert slugs() == ["core", "pad", "pco", "phl-pad", "qrt"]
    assert AuditEvent.objects.count() == events


def test_it_refuses_a_former_slug_that_another_preset_still_has(preset_dir: Path) -> None:
    path = preset_dir / "pco.toml"
    path.write_text(path.read_text().replace('slug = "pco"', 'slug = "pco"\nformerly = ["pad"]'))

    with pytest.raises(CommandError) as caught:
        call_command("load_programs", "--presets", str(preset_dir))

    assert "pco.toml: formerly: 'pad' is the slug of pad.toml" in str(caught.value)
    assert slugs() == SLUGS


def test_it_refuses_two_presets_that_were_formerly_the_same_program(preset_dir: Path) -> None:
    rename_file(preset_dir, "pad", "phl-pad", formerly='["pad"]')
    path = preset_dir / "pco.toml"
    path.write_text(path.read_text().replace('slug = "pco"', 'slug = "pco"\nformerly = ["pad"]'))

    with pytest.raises(PresetError, match="'pad' is also named formerly by "):
        load_programs(SYSTEM, preset_dir)

    assert slugs() == SLUGS


def test_a_new_slug_beside_a_program_whose_file_is_gone_is_held_back_with_a_warning(
    preset_dir: Path,
) -> None:
    MembershipFactory.create(program=Program.objects.get(slug="pad"))
    rename_file(preset_dir, "pad", "phl-pad")
    out, err = io.StringIO(), io.StringIO()

    call_command("load_programs", "--presets", str(preset_dir), stdout=out, stderr=err)

    assert slugs() == SLUGS
    warning = err.getvalue()
    assert "'phl-pad' was not created" in warning
    assert "program 'pad' (Philadelphia Police-Assisted Diversion)" in warning
    assert "1 membership" in warning
    assert 'formerly = ["pad"]' in warning
    assert "--new phl-pad" in warning
    assert "held back: phl-pad" in out.getvalue()


def test_the_warning_s_advice_then_renames_the_program(preset_dir: Path) -> None:
    membership = MembershipFactory.create(program=Program.objects.get(slug="pad"))
    rename_file(preset_dir, "pad", "phl-pad")
    load_programs(SYSTEM, preset_dir)
    path = preset_dir / "phl-pad.toml"
    path.write_text(
        path.read_text().replace('slug = "phl-pad"', 'slug = "phl-pad"\nformerly = ["pad"]')
    )

    result = load_programs(SYSTEM, preset_dir)

    assert result.renamed == [("pad", "phl-pad")]
    assert Membership.objects.get(pk=membership.pk).program.slug == "phl-pad"


def test_a_new_program_said_to_be_new_is_created_beside_the_old_one(preset_dir: Path) -> None:
    MembershipFactory.create(program=Program.objects.get(slug="pad"))
    rename_file(preset_dir, "pad", "phl-pad")

    result = load_programs(SYSTEM, preset_dir, new_programs=["phl-pad"])

    assert result.created == ["phl-pad"]
    assert slugs() == ["core", "pad", "pco", "phl-pad", "qrt"]


def test_a_new_program_beside_an_old_one_holding_nothing_is_created(preset_dir: Path) -> None:
    rename_file(preset_dir, "pad", "phl-pad")

    result = load_programs(SYSTEM, preset_dir)

    assert (result.created, result.held_back, result.warnings) == (["phl-pad"], [], [])


def test_a_page_under_the_former_slug_is_sent_to_the_new_one(
    preset_dir: Path, client: Client
) -> None:
    user = UserFactory.create(role="coordinator")
    MembershipFactory.create(user=user, program=Program.objects.get(slug="pad"))
    rename_file(preset_dir, "pad", "phl-pad", formerly='["pad"]')
    load_programs(SYSTEM, preset_dir)
    sign_in(client, user)

    home = client.get("/programs/pad/")
    queue = client.get("/programs/pad/outreach/?status=open")

    assert (home.status_code, home["Location"]) == (302, "/programs/phl-pad/")
    assert (queue.status_code, queue["Location"]) == (
        302,
        "/programs/phl-pad/outreach/?status=open",
    )
    assert client.get(home["Location"]).status_code == 200


def test_a_slug_no_program_ever_had_and_a_form_post_under_a_former_one_are_not_found(
    preset_dir: Path, client: Client
) -> None:
    user = UserFactory.create(role="coordinator")
    MembershipFactory.create(user=user, program=Program.objects.get(slug="pad"))
    rename_file(preset_dir, "pad", "phl-pad", formerly='["pad"]')
    load_programs(SYSTEM, preset_dir)
    sign_in(client, user)

    assert client.get("/programs/nowhere/").status_code == 404
    assert client.post("/programs/pad/teams/shifts/new").status_code == 404


def test_it_refuses_a_preset_whose_former_slugs_are_two_programs(preset_dir: Path) -> None:
    ProgramFactory.create(slug="old-a")
    ProgramFactory.create(slug="old-b")
    rename_file(preset_dir, "pad", "phl-pad", formerly='["old-a", "old-b", "pad"]')

    with pytest.raises(PresetError, match="'old-a', 'old-b', 'pad' are each a program; only one"):
        load_programs(SYSTEM, preset_dir)

    assert slugs() == ["core", "old-a", "old-b", "pad", "pco", "qrt"]


def test_a_rename_says_which_data_sharing_agreement_still_names_the_former_slug(
    preset_dir: Path,
) -> None:
    path = preset_dir / "pco.toml"
    path.write_text(
        path.read_text() + '\n[data_sharing]\nprograms = ["pad"]\nroles = ["coordinator"]\n'
    )
    rename_file(preset_dir, "pad", "phl-pad", formerly='["pad"]')

    result = load_programs(SYSTEM, preset_dir)

    assert result.warnings == [
        "pco.toml: data_sharing.programs names 'pad', which is now 'phl-pad'; the agreement"
        " holds again once it names 'phl-pad'."
    ]
