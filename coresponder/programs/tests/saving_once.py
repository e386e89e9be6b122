"""Sending a create form twice with one token, as Back and a second tap do."""

from __future__ import annotations

from typing import Any

from django.test import Client

from coresponder.programs.form_tokens import FIELD, SAVED_AGAIN, new_token


def post_twice(client: Client, url: str, data: dict[str, Any]) -> tuple[Any, Any]:
    """The same form posted twice with one token; the second answer followed to its page."""
    sent = {**data, FIELD: new_token()}
    first = client.post(url, sent)
    second = client.post(url, sent, follow=True)
    return first, second


def assert_second_shows_first(first: Any, second: Any, notice: str = SAVED_AGAIN) -> None:
    """The first saved and redirected; the second landed on that same page, with the notice."""
    assert first.status_code == 302, first.content.decode()
    assert second.redirect_chain[0][0] == first["Location"]
    assert second.status_code == 200
    assert notice in second.content.decode()
