"""Pages of an API list, with the total counted only when the page cannot say it.

Every list the API gives is `{items, count}` and takes `?page=`: `count` is the whole
list's, `items` one page of it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.core.paginator import Paginator
from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


def page_and_count(rows: QuerySet[M], page: Any, per_page: int) -> tuple[list[M], int]:
    """The rows of `page` (as Paginator.get_page chooses it) and how many rows there are in all.

    A first page that holds fewer than a page's worth is the whole list, so its length
    is the count: one more row than a page is fetched to tell, and no COUNT is run.
    Other pages, and a full first page, are counted as Paginator counts them.
    """
    if page == 1:
        first = list(rows[: per_page + 1])
        if len(first) <= per_page:
            return first, len(first)
        return first[:per_page], rows.count()
    paginator = Paginator(rows, per_page)
    return list(paginator.get_page(page).object_list), paginator.count


T = TypeVar("T")


def page_of(rows: Sequence[T], page: Any, per_page: int) -> tuple[list[T], int]:
    """The rows of `page` of a list already read (as Paginator.get_page chooses it: a page
    past the end is the last), and how many rows there are in all."""
    paginator = Paginator(rows, per_page)
    return list(paginator.get_page(page).object_list), paginator.count
