"""The import sent twice with one token imports the file once and shows what it added."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from coresponder.intake.import_flow import IMPORTED_ALREADY
from coresponder.intake.models import Overdose, Referral
from coresponder.intake.tests.test_imports import csv_bytes, mapping_form, row, signed_in, upload
from coresponder.programs.form_tokens import FIELD, new_token
from coresponder.programs.models import User
from coresponder.programs.tests.saving_once import assert_second_shows_first, post_twice

pytestmark = pytest.mark.django_db

PREVIEW = "/intake/import/pco/preview/"


def previewed(client: Client, rows: int = 3) -> str:
    """Upload, map, and open the preview; its page."""
    upload(client, csv_bytes([row(i) for i in range(rows)]))
    client.post("/intake/import/pco/map/", mapping_form())
    return client.get(PREVIEW).content.decode()


def test_the_import_button_carries_a_token(importer: User, var_dir: Path) -> None:
    html = previewed(signed_in(importer))
    assert f'name="{FIELD}"' in html and "Import 3 rows" in html


def test_the_import_sent_twice_imports_once_and_the_second_shows_what_it_added(
    importer: User, var_dir: Path
) -> None:
    client = signed_in(importer)
    previewed(client)
    first, second = post_twice(client, PREVIEW, {})
    assert_second_shows_first(first, second, notice=IMPORTED_ALREADY)
    assert first["Location"] == "/intake/import/pco/done/"
    assert "all 3 rows imported" in second.content.decode()
    assert Referral.objects.filter(channel="import").count() == 3
    assert Overdose.objects.count() == 3


def test_the_same_import_sent_after_another_upload_still_imports_once(
    importer: User, var_dir: Path
) -> None:
    client = signed_in(importer)
    previewed(client)
    token = new_token()
    assert client.post(PREVIEW, {FIELD: token}).status_code == 302
    previewed(client, rows=2)
    again = client.post(PREVIEW, {FIELD: token}, follow=True)
    assert IMPORTED_ALREADY in again.content.decode()
    assert Referral.objects.filter(channel="import").count() == 3
