"""Every address the README names answers, on the demo data `make demo` loads."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from coresponder.programs.models import User

README = Path(__file__).resolve().parents[1] / "README.md"
LOCAL = "http://127.0.0.1:8000"


def named_paths() -> list[str]:
    """Paths the README gives as they are: no placeholders, no elisions."""
    text = README.read_text(encoding="utf-8")
    found = re.findall(r"`(/[^`\s]*)`", text) + [
        path for path in re.findall(rf"<{re.escape(LOCAL)}(/[^>]*)>", text)
    ]
    return sorted({p for p in found if "<" not in p and "|" not in p and "…" not in p})


def persona_for(path: str) -> str:
    """Who the README sends to the page: the program's coordinator, a provider, the admin."""
    if path.startswith("/services/inbox"):
        return "pco-provider"
    if path.startswith("/admin-users/"):
        return "admin"
    match = re.match(r"/programs/([a-z0-9_-]+)/", path)
    return f"{match.group(1)}-coordinator" if match else "pco-coordinator"


def test_the_readme_names_the_places_to_start() -> None:
    paths = named_paths()
    for expected in ("/programs/pco/outreach/", "/programs/pco/exports/", "/services/inbox/"):
        assert expected in paths


@pytest.mark.django_db
def test_every_address_the_readme_names_answers_on_the_demo_data() -> None:
    call_command("load_programs", stdout=io.StringIO())
    call_command("demo_data", "--seed", "1", "--scale", "small", stdout=io.StringIO())
    broken = []
    for path in named_paths():
        response = Client().get(path, follow=True)
        if response.redirect_chain and "/accounts/login/" in response.redirect_chain[-1][0]:
            client = Client()
            client.force_login(User.objects.get(username=persona_for(path)))
            response = client.get(path, follow=True)
        if response.status_code != 200:
            broken.append(f"{path}: {response.status_code}")
    assert not broken, broken
