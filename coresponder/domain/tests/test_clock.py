"""Zones in the words people use for them."""

from __future__ import annotations

import pytest

from coresponder.domain.clock import zone_words


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("America/New_York", "Eastern time"),
        ("America/Denver", "Mountain time"),
        ("Europe/London", "London time"),
        ("America/Argentina/Buenos_Aires", "Buenos Aires time"),
        ("UTC", "UTC"),
    ],
)
def test_a_zone_reads_as_people_say_it(key: str, words: str) -> None:
    assert zone_words(key) == words
