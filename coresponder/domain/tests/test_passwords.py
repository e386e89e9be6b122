"""Predictable passwords: repeated keys and walks along the alphabet, digits or keyboard."""

from __future__ import annotations

import pytest

from coresponder.domain.passwords import breaks, is_predictable


@pytest.mark.parametrize(
    "password",
    [
        "aaaaaaaaaaaa",
        "123456789012",
        "abcdefghijkl",
        "zyxwvutsrqpo",
        "qwertyuiop12",
        "QWERTYuiop12",
        "abababababab",
        "qwertyasdfgh1234",
        "!@#$%^&*()12",
        "",
    ],
)
def test_it_calls_repeats_and_runs_predictable(password: str) -> None:
    assert is_predictable(password)


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",
        "coresponder-demo",
        "Tr0ub4dor&3x",
        "kensington-ave-2025",
        "ghjk tyui 7890",
    ],
)
def test_it_lets_varied_passwords_through(password: str) -> None:
    assert not is_predictable(password)


def test_a_break_is_a_step_that_is_no_repeat_and_no_neighbour() -> None:
    assert breaks("aab") == 0
    assert breaks("aba") == 0
    assert breaks("az") == 1
    assert breaks("90") == 0
    assert breaks("p1") == 1
