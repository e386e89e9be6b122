"""A program names its privacy contact in `[privacy_contact]`; a bad one is refused by key."""

from __future__ import annotations

from pathlib import Path

import pytest

from coresponder.domain.presets import (
    PresetError,
    load_preset_dir,
    load_preset_file,
    preset_from_stored,
)
from coresponder.domain.privacy_contact import PrivacyContact

PRESETS = Path(__file__).resolve().parents[3] / "presets"
GOOD = """
[privacy_contact]
title = "Privacy Officer"
office = "Office of the District Attorney"
phone = "(508) 555-0142"
email = "privacy@pco.example.org"
address = \"\"\"100 Example Street
Plymouth, MA 02360\"\"\"
"""


def without_contact(slug: str) -> str:
    """A shipped preset's text with its `[privacy_contact]` table taken out."""
    text = (PRESETS / f"{slug}.toml").read_text(encoding="utf-8")
    head, found, tail = text.partition("\n[privacy_contact]\n")
    assert found, f"{slug}.toml names no privacy contact"
    rest = tail.split("\n[", 1)
    return head + ("\n[" + rest[1] if len(rest) > 1 else "\n")


def written(tmp_path: Path, table: str) -> Path:
    path = tmp_path / "pco.toml"
    path.write_text(without_contact("pco") + table, encoding="utf-8")
    return path


def test_every_shipped_preset_names_a_fictional_privacy_contact() -> None:
    for preset in load_preset_dir(PRESETS):
        contact = preset.privacy_contact
        assert contact is not None, preset.slug
        assert contact.title
        assert contact.email.endswith(".example.org"), preset.slug
        assert "555-01" in contact.phone, preset.slug
        assert contact.address
        # Spanish letters name it in Spanish: the title, and the office where one is given.
        assert contact.title_es, preset.slug
        assert bool(contact.office_es) == bool(contact.office), preset.slug


def test_a_privacy_contact_may_give_its_title_and_office_in_spanish(tmp_path: Path) -> None:
    table = GOOD + 'title_es = "Responsable de Privacidad"\noffice_es = "Oficina del Fiscal"\n'
    preset = load_preset_file(written(tmp_path, table))

    contact = preset.privacy_contact
    assert contact is not None
    assert (contact.title_es, contact.office_es) == (
        "Responsable de Privacidad",
        "Oficina del Fiscal",
    )
    assert preset_from_stored(preset.as_dict(), "stored") == preset


def test_without_spanish_words_a_privacy_contact_keeps_them_blank(tmp_path: Path) -> None:
    preset = load_preset_file(written(tmp_path, GOOD))

    contact = preset.privacy_contact
    assert contact is not None
    assert (contact.title_es, contact.office_es) == ("", "")


def test_a_privacy_contact_is_read_and_kept_in_the_stored_copy(tmp_path: Path) -> None:
    preset = load_preset_file(written(tmp_path, GOOD))

    assert preset.privacy_contact == PrivacyContact(
        title="Privacy Officer",
        office="Office of the District Attorney",
        phone="(508) 555-0142",
        email="privacy@pco.example.org",
        address="100 Example Street\nPlymouth, MA 02360",
    )
    assert preset_from_stored(preset.as_dict(), "stored") == preset


def test_a_preset_may_name_no_privacy_contact(tmp_path: Path) -> None:
    path = tmp_path / "pco.toml"
    path.write_text(without_contact("pco"), encoding="utf-8")
    preset = load_preset_file(path)

    assert preset.privacy_contact is None
    assert preset_from_stored(preset.as_dict(), "stored") == preset


def test_a_privacy_contact_needs_only_a_title_and_one_way_to_reach_it(tmp_path: Path) -> None:
    table = '\n[privacy_contact]\ntitle = "Privacy Officer"\nemail = "privacy@example.org"\n'
    contact = load_preset_file(written(tmp_path, table)).privacy_contact

    assert contact == PrivacyContact(title="Privacy Officer", email="privacy@example.org")


@pytest.mark.parametrize(
    ("table", "key", "words"),
    [
        ('email = "privacy@example.org"', "privacy_contact.title", "is required"),
        ('title = "Privacy Officer"', "privacy_contact", "give a phone, an email or an address"),
        ('title = "Privacy Officer"\nemail = "privacy at example.org"', "privacy_contact.email",
         "must be an email address"),
        ('title = "Privacy Officer"\nemail = "a@b@example.org"', "privacy_contact.email",
         "must be an email address"),
        ('title = "Privacy Officer"\nphone = "call the front desk"', "privacy_contact.phone",
         "must be a phone number"),
        ('title = "Privacy Officer"\nphone = "555-01"', "privacy_contact.phone",
         "10 to 15 digits"),
        ('title = "Privacy Officer"\nphone = 5085550142', "privacy_contact.phone",
         "must be a non-empty string"),
        (f'title = "{"P" * 101}"\nemail = "p@example.org"', "privacy_contact.title",
         "at most 100 characters"),
        (f'title = "Privacy Officer"\naddress = "{"1" * 301}"', "privacy_contact.address",
         "at most 300 characters"),
        ('title = "Privacy Officer"\nemail = "p@example.org"\nname = "Jo"',
         "privacy_contact.name", "is not a known key"),
        ('title = "  "\nemail = "p@example.org"', "privacy_contact.title",
         "must be a non-empty string"),
        (f'title = "Privacy Officer"\ntitle_es = "{"P" * 101}"\nemail = "p@example.org"',
         "privacy_contact.title_es", "at most 100 characters"),
        (f'title = "P"\noffice = "O"\noffice_es = "{"O" * 201}"\nemail = "p@example.org"',
         "privacy_contact.office_es", "at most 200 characters"),
        ('title = "Privacy Officer"\ntitle_es = "  "\nemail = "p@example.org"',
         "privacy_contact.title_es", "must be a non-empty string"),
        ('title = "Privacy Officer"\ntitle_es = 7\nemail = "p@example.org"',
         "privacy_contact.title_es", "must be a non-empty string"),
        ('title = "Privacy Officer"\noffice_es = "Oficina"\nemail = "p@example.org"',
         "privacy_contact.office_es", "give the office in English too"),
    ],
    ids=[
        "no-title", "no-way-to-reach", "email-without-at", "email-two-ats", "phone-words",
        "phone-short", "phone-number", "title-long", "address-long", "unknown-key", "blank-title",
        "title-es-long", "office-es-long", "blank-title-es", "title-es-number",
        "office-es-without-office",
    ],
)  # fmt: skip
def test_it_rejects_a_privacy_contact_that_is_not_clear(
    tmp_path: Path, table: str, key: str, words: str
) -> None:
    path = written(tmp_path, f"\n[privacy_contact]\n{table}\n")
    with pytest.raises(PresetError) as caught:
        load_preset_file(path)

    messages = dict(caught.value.problems)
    assert key in messages, caught.value.problems
    assert words in messages[key]
    assert f"{path}: {key}: " in str(caught.value)


def test_it_rejects_a_privacy_contact_that_is_not_a_table(tmp_path: Path) -> None:
    path = tmp_path / "pco.toml"
    text = without_contact("pco").replace(
        'timezone = "America/New_York"', 'timezone = "America/New_York"\nprivacy_contact = "Jo"'
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PresetError, match="privacy_contact: must be a table"):
        load_preset_file(path)
