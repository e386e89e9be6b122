"""The licence notice's source address, for pages drawn without context processors (500)."""

from __future__ import annotations

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def source_code_url() -> str:
    """This deployment's source code address (SOURCE_URL), or "" when none is set."""
    return str(settings.SOURCE_URL or "")
