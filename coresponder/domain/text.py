"""Text as the records keep it: what was typed, less the characters that show nothing and
change what is shown around them.

A control character (a bell, an escape code, a null) is invisible on a page and stops a
search finding a name; a direction control (a right-to-left override, an embedding, an
isolate) turns the text after it around, so "Ana" followed by one shows a birth date beside
it backwards. Neither is anything a person meant to record, so both are dropped wherever
text comes in. A line break and a tab stay in text written in lines (a note).
"""

from __future__ import annotations

import unicodedata

# The direction controls: embeddings and overrides (U+202A to U+202E), isolates (U+2066 to
# U+2069). The marks (U+200E, U+200F) only hint and turn nothing around.
DIRECTION_CONTROLS = frozenset(chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])

# Characters that show nothing: a name made of them alone is no name.
INVISIBLE = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})


def shows_nothing(c: str, *, lines: bool = False) -> bool:
    """Whether `c` is dropped from text: a control or direction character (a line break
    and a tab are kept in text written in lines)."""
    if lines and c in "\n\t":
        return False
    return c in DIRECTION_CONTROLS or unicodedata.category(c) == "Cc"


def without_hidden(value: str, *, lines: bool = False, keep: str = "") -> str:
    """`value` less its control and direction characters (`shows_nothing`), a line break
    one character however it was sent; `keep` names characters left for a later check to
    refuse (the API refuses a NUL, naming the field)."""
    text = value.replace("\r\n", "\n").replace("\r", "\n") if lines else value
    return "".join(c for c in text if c in keep or not shows_nothing(c, lines=lines))


def plain_text(value: str, *, lines: bool = False) -> str:
    """What was typed, without control or direction characters; a tab reads as a space
    on one line. Nothing visible is nothing."""
    kept = without_hidden(value if lines else value.replace("\t", " "), lines=lines)
    return "" if all(unicodedata.category(c) in INVISIBLE for c in kept) else kept


# A cell a spreadsheet reads as a formula, or as the start of one (OWASP's CSV injection).
FORMULA_STARTS = frozenset({"=", "+", "-", "@", "\t", "\r"})


def spreadsheet_safe(text: str) -> str:
    """Text a spreadsheet shows as typed and never runs: a leading = + - @ (or a tab or a
    carriage return before one) would start a formula, so an apostrophe goes first."""
    if text[:1] in FORMULA_STARTS:
        return "'" + text
    return text
