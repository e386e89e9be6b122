"""What a service counts its free places in, as HSDS names a capacity's unit.

A detox counts beds, a drop-in places, an outpatient clinic appointments, a group seats,
housing navigation placements, a transport service rides.
The unit is stored as its plural name (HSDS `unit.name`), which is also what people read;
a directory import may bring another name, which reads as the directory gave it.
"""

from __future__ import annotations

# Plural name -> singular, in the order a provider is offered them.
UNITS: dict[str, str] = {
    "beds": "bed",
    "places": "place",
    "appointments": "appointment",
    "seats": "seat",
    "placements": "placement",
    "rides": "ride",
}
# A service that never said: "places" is true of every kind of service.
DEFAULT_UNIT = "places"


def unit_choices(current: str | None) -> list[tuple[str, str]]:
    """The units a provider may choose, with the one the service has now if it is another."""
    choices = [(name, name.capitalize()) for name in UNITS]
    if current and current not in UNITS:
        choices.append((current, f"{current.capitalize()} (as the directory gives it)"))
    return choices


def free_words(available: int, unit: str, maximum: int | None = None) -> str:
    """ "1 bed free", "3 of 12 appointments free"."""
    of = f" of {maximum}" if maximum else ""
    counted = UNITS.get(unit, unit) if available == 1 and not maximum else unit
    return f"{available}{of} {counted} free"
