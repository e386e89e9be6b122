"""The licence notice every page carries: Coresponder is AGPL software, and here is its code."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def source_code(request: HttpRequest) -> dict[str, str]:
    """The address of this deployment's source code (SOURCE_URL), for the footer."""
    return {"source_url": settings.SOURCE_URL}
