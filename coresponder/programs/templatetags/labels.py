"""`{{ code|label:"pathway" }}`: the words a person reads for a code, from the vocabulary."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

from coresponder.domain.directory import km_to_miles
from coresponder.domain.intake import phone_link, readable_phone
from coresponder.domain.vocabulary import label as vocabulary_label
from coresponder.programs.labels import district_names, page_language, recipient_label

register = template.Library()


@register.filter(name="label")
def label(code: Any, vocabulary: str) -> str:
    """The label of `code` in `vocabulary`, in the page's language; free text reads as typed."""
    return vocabulary_label(vocabulary, code, page_language())


@register.filter(name="labels")
def labels(codes: Any, vocabulary: str) -> list[str]:
    """The labels of a list of codes, in order (join them in the template)."""
    return [vocabulary_label(vocabulary, code, page_language()) for code in codes or ()]


@register.filter(name="phone")
def phone(value: Any) -> str:
    """A phone as a person reads it: bare digits grouped, anything else as written."""
    return readable_phone(str(value or ""))


@register.filter(name="tel")
def tel(value: Any) -> str:
    """The tel: link a phone dials, extension and all."""
    return phone_link(str(value or ""))


@register.filter(name="optional")
def optional(field: Any) -> bool:
    """Whether a form field may truthfully say "(optional)".

    A field the form does not require may still be needed: a closing checklist item
    before a case closes, a reason for some status changes. Such a field carries
    `needed` and never reads as optional.
    """
    inner = getattr(field, "field", field)
    return not inner.required and not getattr(inner, "needed", False)


@register.filter(name="recipient")
def recipient(who: Any, names: Any = None) -> str:
    """A consent's recipient in words: an organisation's name, a kind or role's label.
    A page listing consents passes the names it read at once (`organization_names`):
    `{{ r|recipient:recipient_names }}`."""
    return recipient_label(who or {}, names if isinstance(names, Mapping) else None)


@register.filter(name="district_names")
def district_names_of(codes: Any, program: Any) -> list[str]:
    """The names of a program's districts, from their codes; an unknown code reads as itself."""
    names = district_names([program.slug]).get(program.slug, {})
    return [names.get(str(code), str(code)) for code in codes or ()]


@register.filter(name="miles")
def miles(km: Any) -> str:
    """A distance measured in kilometres, as the programs' staff read one: "81.4 miles"."""
    try:
        value = km_to_miles(float(km))
    except (TypeError, ValueError):
        return ""
    return f"{value:,.1f} mile{'' if round(value, 1) == 1 else 's'}"
