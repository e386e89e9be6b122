"""A program's privacy contact (`[privacy_contact]` in its preset): whom a person writes to
or calls about their record, to file a statement of disagreement, ask that a denial go with
future disclosures, or complain (45 CFR 164.526(d)(1) and 164.530(a)(1)(ii)).

It names an office or a title, never a person, so a preset outlasts whoever holds the post.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# One "@", no spaces, a dot in the domain: enough to catch a slip, not to vouch for a mailbox.
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
# Digits and the marks people write phone numbers with.
PHONE_RE = re.compile(r"^\+?[0-9 ()./-]+$")
# A North American number has 10 digits; E.164 allows at most 15.
PHONE_DIGITS = (10, 15)
# The longest each key may be: enough for a real title, office or postal address on a letter.
MAX_LENGTHS = {
    "title": 100,
    "office": 200,
    "phone": 40,
    "email": 254,
    "address": 300,
    # The title and office in Spanish, for letters written in Spanish; as long as in English.
    "title_es": 100,
    "office_es": 200,
}
WAYS = ("phone", "email", "address")


@dataclass(frozen=True)
class PrivacyContact:
    """Who answers for the program's privacy, and how to reach them; blank is not given."""

    title: str
    office: str = ""
    phone: str = ""
    email: str = ""
    # Postal address, one line per line of the envelope.
    address: str = ""
    # The title and office as a letter in Spanish names them; blank, not given (such a
    # letter names the English ones as proper names).
    title_es: str = ""
    office_es: str = ""

    @property
    def address_on_one_line(self) -> str:
        return ", ".join(line.strip() for line in self.address.splitlines() if line.strip())


def read_privacy_contact(
    raw: Mapping[str, Any], path: str
) -> tuple[PrivacyContact, list[tuple[str, str]]]:
    """The contact a `[privacy_contact]` table names, with every (key, problem) found."""
    problems: list[tuple[str, str]] = []
    for key in raw:
        if key not in MAX_LENGTHS:
            known = ", ".join(sorted(MAX_LENGTHS))
            problems.append((f"{path}.{key}", f"is not a known key (known: {known})"))
    values: dict[str, str] = {}
    for key, longest in MAX_LENGTHS.items():
        value = raw.get(key)
        # A stored copy keeps a key not given as blank; the title is always given.
        if value is None or (value == "" and key != "title"):
            if key == "title":
                problems.append((f"{path}.title", "is required"))
            continue
        if not isinstance(value, str) or not value.strip():
            problems.append((f"{path}.{key}", f"must be a non-empty string, got {value!r}"))
            continue
        if len(value) > longest:
            problems.append((f"{path}.{key}", f"must be at most {longest} characters"))
            continue
        values[key] = value.strip()
    if "email" in values and not EMAIL_RE.match(values["email"]):
        email = values["email"]
        problems.append(
            (f"{path}.email", f"must be an email address like privacy@example.org, got {email!r}")
        )
    if "phone" in values and (problem := _phone_problem(values["phone"])):
        problems.append((f"{path}.phone", problem))
    if "office_es" in values and "office" not in values:
        # An office named only in Spanish would be missing from the English letters.
        problems.append((f"{path}.office_es", "give the office in English too (office)"))
    if not any(key in raw for key in WAYS if raw.get(key) != ""):
        problems.append((path, "give a phone, an email or an address to reach it by"))
    contact = PrivacyContact(
        title=values.get("title", ""),
        office=values.get("office", ""),
        phone=values.get("phone", ""),
        email=values.get("email", ""),
        address=values.get("address", ""),
        title_es=values.get("title_es", ""),
        office_es=values.get("office_es", ""),
    )
    return contact, problems


def _phone_problem(phone: str) -> str | None:
    if not PHONE_RE.match(phone):
        return f"must be a phone number of digits, spaces and ()+-./, got {phone!r}"
    digits = sum(character.isdigit() for character in phone)
    least, most = PHONE_DIGITS
    if not least <= digits <= most:
        return f"must have {least} to {most} digits, got {digits} in {phone!r}"
    return None
