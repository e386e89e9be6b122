"""Passwords a guesser tries early: one key held down, a run along the alphabet,
the digits or a keyboard row, or a few such runs end to end.

`aaaaaaaaaaaa`, `123456789012`, `abcdefghijkl`, `qwertyuiop12` and `abababababab`
are long enough for a length rule and absent from most common-password lists,
yet each is one or two walks over the keyboard that cracking tools try first.
"""

from __future__ import annotations

# Runs a guesser walks, either way along: the alphabet, digits (0 after 9 as on a
# keyboard, and before 1 as in counting), the letter rows of a US keyboard and the
# symbols over its digits.
RUNS = (
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "!@#$%^&*()",
)
# Pairs of neighbours on some run; a step between them continues a walk.
NEIGHBOURS = frozenset(
    pair for run in RUNS for a, b in zip(run, run[1:], strict=False) for pair in ((a, b), (b, a))
)
# A password is predictable when fewer than one step in this many breaks the walk.
STEPS_PER_BREAK = 4


def continues_walk(a: str, b: str) -> bool:
    """The same key again, or its neighbour on a run, in either direction."""
    return a == b or (a, b) in NEIGHBOURS


def breaks(password: str) -> int:
    """How many steps from one character to the next are not part of a walk."""
    text = password.lower()
    return sum(not continues_walk(a, b) for a, b in zip(text, text[1:], strict=False))


def is_predictable(password: str) -> bool:
    """Mostly repeated keys and runs: fewer than a quarter of its steps leave a walk."""
    steps = len(password) - 1
    if steps < 1:
        return True
    return breaks(password) * STEPS_PER_BREAK < steps
