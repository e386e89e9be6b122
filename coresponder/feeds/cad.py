"""911 / CAD calls pushed as a JSON list or a CSV table, read into community_response referrals.

Each call is a referral on the community_response pathway with its `call`
facts (docs/api.md's body), so the preset's triage rules decide whether the
co-responders go, exactly as for a call entered by hand. The CAD call number
identifies a call: a call already recorded is answered, not recorded again.
Reading and checking write nothing; `feeds.actions.record_cad_calls` records.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from coresponder import import_limits
from coresponder.core.http import UNSTORABLE, UNSTORABLE_MESSAGE
from coresponder.domain.intake import phone_digit_count
from coresponder.domain.vocabulary import Pathway
from coresponder.intake.actions import validate_referral
from coresponder.intake.imports import (
    CellError,
    normalize_header,
    parse_bool,
    parse_coordinate,
    parse_date,
    parse_datetime,
    parse_text,
)
from coresponder.intake.inputs import CallInput, PersonInput, ReferralInput
from coresponder.intake.models import Call
from coresponder.programs.models import Program

# One batch, one transaction: a CAD system sends what came in since its last push.
MAX_CALLS = 1_000
# A time decades before any CAD system in use is a system's empty date, not a call.
EARLIEST_YEAR = 1990
CALL_TYPES = frozenset(Call.CallType.values)
TEXT_LIMITS = {
    "cad_number": 64,
    "priority": 16,
    "address": 300,
    "district": 32,
    "caller_name": 200,
    "caller_phone": 32,
    "given_name": 100,
    "family_name": 100,
    "phone": 32,
}
FIELDS = (
    "cad_number",
    "received_at",
    "call_type",
    "priority",
    "address",
    "narrative",
    "weapons",
    "violence_in_progress",
    "latitude",
    "longitude",
    "district",
    "caller_name",
    "caller_phone",
    "given_name",
    "family_name",
    "birth_date",
    "phone",
)
_BY_NORMALIZED = {normalize_header(name): name for name in FIELDS}
PERSON_FIELDS = ("given_name", "family_name", "birth_date", "phone")


class CadRefused(ValueError):
    """The body as a whole cannot be read (not a list, not CSV, too many calls)."""


@dataclass
class CadCall:
    """One call of a batch: its referral for intake, or what is wrong with it."""

    position: int  # 1-based: the list item, or the CSV line a user sees
    label: str
    cad_number: str = ""
    priority: str = ""
    referral: ReferralInput | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add_error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)


def read_calls(body: bytes, content_type: str) -> list[dict[str, Any]]:
    """The calls of a JSON list or a CSV table (by Content-Type), each a dict of fields."""
    too_large = import_limits.file_size_problem(len(body), "The body")
    if too_large:
        raise CadRefused(too_large)
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CadRefused("The body is not UTF-8 text.") from exc
    kind = content_type.split(";", 1)[0].strip().lower()
    calls = _csv_calls(text) if kind in ("text/csv", "application/csv") else _json_calls(text)
    if not calls:
        raise CadRefused("The body holds no calls.")
    if len(calls) > MAX_CALLS:
        raise CadRefused(
            f"The body holds {len(calls):,} calls; send at most {MAX_CALLS:,} at once."
        )
    return calls


def _json_calls(text: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise CadRefused(f"The body is not JSON ({exc}).") from exc
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise CadRefused("The body must be a JSON list of calls, each an object.")
    problem = import_limits.long_string(data)
    if problem:
        raise CadRefused(problem)
    calls = []
    for item in data:
        person = item.get("person")
        # A field the call sends empty (null, "") leaves the person object's to stand.
        given = {k: v for k, v in item.items() if v is not None and v != ""}
        merged = {**(person if isinstance(person, dict) else {}), **given}
        call = {key: merged[key] for key in FIELDS if key in merged}
        if problems := _person_object_problems(person, item):
            call[PROBLEMS] = problems
        calls.append(call)
    return calls


# Problems found while reading a call, before its fields are checked.
PROBLEMS = "_problems"


def _person_object_problems(person: Any, item: Mapping[str, Any]) -> dict[str, str]:
    """A `person` that is not an object, or says otherwise than the call's own fields."""
    if person is None:
        return {}
    if not isinstance(person, dict):
        return {"person": "must be an object of the person's fields"}
    return {
        f"person.{name}": f"says {person[name]!r} where the call's {name} says {item[name]!r}"
        for name in PERSON_FIELDS
        if not _says_the_same(name, person.get(name), item.get(name))
    }


def _says_the_same(name: str, one: Any, other: Any) -> bool:
    """Whether two values of a person's field agree, or one of them says nothing: a phone
    by its digits, a name or date whatever its case and spaces."""
    if one in (None, "") or other in (None, ""):
        return True
    if name == "phone":
        return "".join(filter(str.isdigit, str(one))) == "".join(filter(str.isdigit, str(other)))
    return str(one).strip().casefold() == str(other).strip().casefold()


# Commas, else semicolons: what Excel saves as CSV where the decimal mark is a comma.
DELIMITERS = (",", ";")


def _csv_calls(text: str) -> list[dict[str, Any]]:
    for delimiter in DELIMITERS:
        try:
            rows = list(import_limits.csv_rows(text, delimiter=delimiter))
        except csv.Error as exc:
            raise CadRefused(f"The body cannot be read as CSV ({exc}).") from exc
        if not rows:
            return []
        headers = [_BY_NORMALIZED.get(normalize_header(h), "") for h in rows[0]]
        if "cad_number" in headers:
            break
    else:
        raise CadRefused("The CSV's first row must name its columns, cad_number among them.")
    calls = []
    for number, cells in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        for cell in cells:
            problem = import_limits.cell_problem(cell, f"Line {number}")
            if problem:
                raise CadRefused(problem)
        call: dict[str, Any] = {
            h: c for h, c in zip(headers, cells, strict=False) if h and c.strip()
        }
        call["_line"] = number
        calls.append(call)
    return calls


def _text(call: CadCall, values: Mapping[str, Any], name: str) -> str:
    value = values.get(name)
    if value is None:
        return ""
    if isinstance(value, dict | list):
        call.add_error(name, "must be a single value")
        return ""
    text = parse_text(value)
    if UNSTORABLE in text:
        call.add_error(name, UNSTORABLE_MESSAGE)
        return ""
    limit = TEXT_LIMITS.get(name)
    if limit is not None and len(text) > limit:
        call.add_error(name, f"is longer than {limit} characters")
        return ""
    return text


def _parsed(call: CadCall, values: Mapping[str, Any], name: str, parse: Any) -> Any:
    value = values.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dict | list):
        call.add_error(name, "must be a single value")
        return None
    try:
        return parse(value)
    except CellError as exc:
        call.add_error(name, str(exc))
        return None


def check_call(program: Program, position: int, values: Mapping[str, Any]) -> CadCall:
    """One call parsed and checked as intake would record it; writes nothing."""
    line = values.get("_line")
    call = CadCall(position=position, label=f"line {line}" if line else f"[{position - 1}]")
    for name, problem in values.get(PROBLEMS, {}).items():
        call.add_error(name, problem)
    call.cad_number = _text(call, values, "cad_number")
    if not call.cad_number and "cad_number" not in call.errors:
        call.add_error("cad_number", "is required: the CAD call number identifies the call")
    call.priority = _text(call, values, "priority")
    # A CAD system's "SUICIDAL" or "Mental Health Crisis" is the code its words spell.
    call_type = "_".join(_text(call, values, "call_type").lower().replace("-", " ").split())
    if not call_type:
        call.add_error("call_type", "is required")
    elif call_type not in CALL_TYPES:
        call.add_error("call_type", f"must be one of {', '.join(sorted(CALL_TYPES))}")
    received = _parsed(
        call, values, "received_at", lambda v: parse_datetime(v, None, local_choice=False)
    )
    if received is None and "received_at" not in call.errors:
        call.add_error("received_at", "is required")
    elif received is not None and received.year < EARLIEST_YEAR:
        call.add_error("received_at", f"is before {EARLIEST_YEAR}: not a time a CAD call has")
        received = None
    flags = {
        name: bool(_parsed(call, values, name, parse_bool))
        for name in ("weapons", "violence_in_progress")
    }
    latitude = _parsed(call, values, "latitude", lambda v: parse_coordinate(v, 90))
    longitude = _parsed(call, values, "longitude", lambda v: parse_coordinate(v, 180))
    if (latitude is None) != (longitude is None) and not call.errors.keys() & {
        "latitude",
        "longitude",
    }:
        call.add_error("longitude" if longitude is None else "latitude", "give both or neither")
    # Read before the check below, so every field too long is named at once.
    texts = {
        name: _text(call, values, name) or None
        for name in ("address", "narrative", "district", "caller_name", "caller_phone")
    }
    person = _person(call, values)
    if call.errors:
        return call
    call.referral = ReferralInput(
        pathway=Pathway.COMMUNITY_RESPONSE.value,
        received_at=received,
        person=person,
        district=texts["district"],
        call=CallInput(
            call_type=call_type,
            narrative=texts["narrative"] or "",
            cad_number=call.cad_number,
            priority=call.priority or None,
            address=texts["address"],
            caller_name=texts["caller_name"],
            caller_phone=_number_or_blank(texts["caller_phone"] or "") or None,
            latitude=latitude,
            longitude=longitude,
            **flags,
        ),
    )
    for key, messages in validate_referral(program, call.referral).items():
        call.errors.setdefault(key.split(".", 1)[-1], []).extend(messages)
    return call


def _number_or_blank(phone: str) -> str:
    """A phone as a CAD system gives it; "UNK" or "NONE" is no number, as a blank is."""
    return phone if phone_digit_count(phone) else ""


def _person(call: CadCall, values: Mapping[str, Any]) -> PersonInput | None:
    """Who the call is about, when the caller knew: a 911 call about a stranger has nobody."""
    given = {name: _text(call, values, name) for name in ("given_name", "family_name", "phone")}
    given["phone"] = _number_or_blank(given["phone"])
    birth = _parsed(call, values, "birth_date", parse_date)
    if not any(given.values()) and birth is None:
        return None
    return PersonInput(
        given_name=given["given_name"] or None,
        family_name=given["family_name"] or None,
        phone=given["phone"] or None,
        birth_date=birth,
    )


def check_calls(program: Program, calls: list[dict[str, Any]]) -> list[CadCall]:
    """Every call checked; a CAD number twice in one batch is an error on the second."""
    checked = [check_call(program, position, values) for position, values in enumerate(calls, 1)]
    first: dict[str, CadCall] = {}
    for call in checked:
        if not call.cad_number:
            continue
        if call.cad_number in first:
            call.add_error("cad_number", f"is also the call at {first[call.cad_number].label}")
        else:
            first[call.cad_number] = call
    return checked


def call_errors(calls: list[CadCall]) -> dict[str, list[str]]:
    """`[2].received_at` (JSON) or `line 3.received_at` (CSV) -> messages."""
    return {
        f"{call.label}.{name}": messages for call in calls for name, messages in call.errors.items()
    }
