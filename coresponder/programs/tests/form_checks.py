"""What every form page shown again with errors must hold, read from its HTML.

A screen reader finds a field's problem through the field: each control marked
`aria-invalid` names, in `aria-describedby`, an element on the page that says what is
wrong; every field message on the page is named so by a control or by the group
(a fieldset of radio buttons or checkboxes) it stands in, whose controls are marked
`aria-invalid`. The page's main content holds at most one alert (the summary above the
form): a screen reader reads every alert on a page as it loads, all at once, and the page
script takes the focus to the summary or the first invalid field instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

CONTROLS = {"input", "select", "textarea"}
VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


@dataclass
class _Element:
    tag: str
    attrs: dict[str, str]
    text: list[str] = field(default_factory=list)
    group: _Element | None = None  # the fieldset it stands in


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[_Element] = []
        self.by_id: dict[str, _Element] = {}
        self.controls: list[_Element] = []
        self.groups: list[_Element] = []  # fieldsets
        self.messages: list[_Element] = []  # .usa-error-message
        self.alerts: list[_Element] = []  # role="alert" inside <main>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = _Element(tag, {k: v or "" for k, v in attrs})
        element.group = next((e for e in reversed(self.open) if e.tag == "fieldset"), None)
        if "id" in element.attrs:
            self.by_id[element.attrs["id"]] = element
        if tag in CONTROLS and element.attrs.get("type") != "hidden":
            self.controls.append(element)
        if tag == "fieldset":
            self.groups.append(element)
        if "usa-error-message" in element.attrs.get("class", "").split():
            self.messages.append(element)
        if element.attrs.get("role") == "alert" and any(e.tag == "main" for e in self.open):
            self.alerts.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for place in range(len(self.open) - 1, -1, -1):
            if self.open[place].tag == tag:
                del self.open[place:]
                return

    def handle_data(self, data: str) -> None:
        for element in self.open:
            element.text.append(data)


def _said(element: _Element) -> str:
    return " ".join("".join(element.text).split())


def error_problems(html: str) -> list[str]:
    """Each way the page's field messages fail a screen reader; empty when none do."""
    page = _Page()
    page.feed(html)
    problems: list[str] = []
    described: set[str] = set()
    for control in [*page.controls, *page.groups]:
        ids = control.attrs.get("aria-describedby", "").split()
        described.update(ids)
        for name in ids:
            if name not in page.by_id:
                problems.append(
                    f"{control.tag} {control.attrs.get('name', '')!r} is described by "
                    f"#{name}, which is not on the page"
                )
    for control in page.controls:
        if control.attrs.get("aria-invalid") != "true":
            continue
        ids = control.attrs.get("aria-describedby", "").split()
        if not any(
            "usa-error-message" in page.by_id[name].attrs.get("class", "")
            for name in ids
            if name in page.by_id
        ) and not _in_described_group(page, control):
            problems.append(
                f"{control.tag} {control.attrs.get('name', '')!r} is marked invalid but "
                "names no message saying why"
            )
    for message in page.messages:
        if not _said(message):
            continue
        name = message.attrs.get("id", "")
        if not name or name not in described:
            problems.append(f"the message {_said(message)!r} is tied to no field")
        elif not _marked_invalid(page, name):
            problems.append(f"a field the message {_said(message)!r} names is not marked invalid")
    if len(page.alerts) > 1:
        said = "; ".join(repr(_said(alert)[:60]) for alert in page.alerts)
        problems.append(f"{len(page.alerts)} alerts are read at once as the page loads: {said}")
    return problems


def _marked_invalid(page: _Page, name: str) -> bool:
    """Whether the field a message is about is marked invalid: every control naming the
    message, and at least one control in a group naming it (the page script takes the focus
    to the first control so marked where no summary stands above the form)."""
    naming = [c for c in page.controls if name in c.attrs.get("aria-describedby", "").split()]
    grouped = [
        c
        for c in page.controls
        if c.group is not None and name in c.group.attrs.get("aria-describedby", "").split()
    ]
    invalid = [c.attrs.get("aria-invalid") == "true" for c in naming + grouped]
    return all(invalid[: len(naming)]) and any(invalid)


def _in_described_group(page: _Page, control: _Element) -> bool:
    """Whether a radio button or checkbox stands in a fieldset that names its message."""
    group = control.group
    if control.attrs.get("type") not in {"radio", "checkbox"} or group is None:
        return False
    return any(
        "usa-error-message" in page.by_id[name].attrs.get("class", "")
        for name in group.attrs.get("aria-describedby", "").split()
        if name in page.by_id
    )


def assert_errors_described(response: object) -> None:
    """The page's field messages are each tied to their field, for a screen reader too."""
    html = response.content.decode()  # type: ignore[attr-defined]
    problems = error_problems(html)
    assert not problems, "\n".join(problems)
