"""A list's first page counts itself when it is the whole list, and asks for a count otherwise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from coresponder.core.paging import page_and_count
from coresponder.programs.models import Organization
from coresponder.programs.tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def organizations(count: int) -> Any:
    OrganizationFactory.create_batch(count)
    return Organization.objects.order_by("slug")


def test_a_first_page_shorter_than_a_page_is_counted_without_a_count_query(
    django_assert_num_queries: Callable[..., Any],
) -> None:
    rows = organizations(3)

    with django_assert_num_queries(1):
        page, count = page_and_count(rows, 1, per_page=3)

    assert (len(page), count) == (3, 3)


def test_a_full_first_page_and_later_pages_are_counted(
    django_assert_num_queries: Callable[..., Any],
) -> None:
    rows = organizations(7)

    with django_assert_num_queries(2):  # the page and one row more, then the count
        first, count = page_and_count(rows, 1, per_page=3)
    last, count_again = page_and_count(rows, 3, per_page=3)

    assert (len(first), count, len(last), count_again) == (3, 7, 1, 7)
    assert [o.slug for o in first] == [o.slug for o in rows[:3]]


def test_a_page_past_the_end_or_not_a_page_is_chosen_as_the_paginator_chooses(db: None) -> None:
    rows = organizations(4)

    past, _ = page_and_count(rows, 9, per_page=3)
    wrong, _ = page_and_count(rows, "x", per_page=3)

    assert [o.slug for o in past] == [o.slug for o in rows[3:]]
    assert [o.slug for o in wrong] == [o.slug for o in rows[:3]]
