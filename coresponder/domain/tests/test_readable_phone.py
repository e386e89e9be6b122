"""A phone kept as bare digits reads as people write it; anything else reads as written."""

from __future__ import annotations

import pytest

from coresponder.domain.intake import phone_link, readable_phone


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


@pytest.mark.parametrize(
    ("kept", "dialled"),
    [
        ("2155550100", "tel:2155550100"),
        ("+12155550100", "tel:+12155550100"),
        ("215-555-0100 ext. 12", "tel:2155550100;ext=12"),
        ("(215) 555-0100 x 7", "tel:2155550100;ext=7"),
        ("+44 20 7946 0958", "tel:+442079460958"),
        ("+44 (0)20 7946 0958", "tel:+442079460958"),
        ("215.555.0100 Ext: 5", "tel:2155550100;ext=5"),
        ("215-555-0100 #12", "tel:2155550100;ext=12"),
        ("215-555-0100 ext. 12 (intake)", "tel:2155550100;ext=12"),
        ("215-555-0100x12", "tel:2155550100;ext=12"),
        ("215-555-0100 (intake line)", "tel:2155550100"),
        ("215-555-0100 or 215-555-0199", "tel:2155550100"),
        ("PO Box 12, call 215-555-0100", "tel:2155550100"),
    ],
)
def test_a_phone_link_dials_the_number_and_its_extension(kept: str, dialled: str) -> None:
    """A tel: link holds no spaces or words (RFC 3966): a phone would dial nothing."""
    assert phone_link(kept) == dialled
