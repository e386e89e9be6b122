from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_it_says_how_to_load_personas_when_there_are_none() -> None:
    out = StringIO()
    call_command("demo_personas", stdout=out)
    assert "No demo personas yet" in out.getvalue()
    assert "coresponder demo_data" in out.getvalue()
