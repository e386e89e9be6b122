"""A phone kept as bare digits reads as people write it; anything else reads as written."""

from __future__ import annotations

import pytest

from coresponder.domain.intake import readable_phone


@pytest.mark.parametrize(
    ("kept", "read"),
    [
        ("2155550100", "(215) 555-0100"),
        ("12155550100", "(215) 555-0100"),
        ("+12155550100", "+1 (215) 555-0100"),
        ("5550100", "555-0100"),
        (" 2155550100 ", "(215) 555-0100"),
        ("(215) 555-0100", "(215) 555-0100"),
        ("215-555-0100 ext 4", "215-555-0100 ext 4"),
        ("+442071838750", "+442071838750"),
        ("441234", "441234"),
        ("", ""),
    ],
)
def test_a_phone_reads_as_people_write_it(kept: str, read: str) -> None:
    assert readable_phone(kept) == read
