"""docs/api.md keeps up with the code: every operation and every metric function is in it."""

from __future__ import annotations

import datetime as dt
import inspect
import re
from pathlib import Path

import pytest

from coresponder.api import api
from coresponder.domain import metrics

DOC = Path(__file__).resolve().parents[1] / "docs" / "api.md"
BASE = "/api/v1"
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


def operations() -> list[str]:
    """`METHOD /path` for each operation of the OpenAPI schema, without the base path."""
    found = []
    for path, item in api.get_openapi_schema()["paths"].items():
        short = path.removeprefix(BASE) or "/"
        found += [f"{method.upper()} {short}" for method in item if method in METHODS]
    return sorted(found)


def metric_functions() -> list[str]:
    """The public functions of the metric definitions, and those they take from their peers."""
    homes = {metrics.__name__, "coresponder.domain.referrals", "coresponder.domain.sla"}
    return sorted(
        name
        for name, value in vars(metrics).items()
        if inspect.isfunction(value) and not name.startswith("_") and value.__module__ in homes
    )


def test_the_schema_has_operations_to_check() -> None:
    assert "GET /programs" in operations()
    assert "POST /referrals" in operations()


@pytest.mark.parametrize("operation", operations())
def test_every_operation_is_documented(doc: str, operation: str) -> None:
    # Written as `GET /programs/{slug}` or `GET /programs/{slug}/metrics?start=...`.
    assert re.search(re.escape(f"`{operation}") + r"[`?]", doc), f"{operation} is not in {DOC}"


def test_there_are_metric_functions_to_check() -> None:
    assert {"people_engaged", "funnel", "people_accepted_treatment"} <= set(metric_functions())


@pytest.mark.parametrize("name", metric_functions())
def test_every_metric_function_is_documented(doc: str, name: str) -> None:
    assert f"`{name}`" in doc, f"{name} (coresponder/domain/metrics.py) is not in {DOC}"


def test_every_figure_breakdown_and_funnel_stage_is_documented(doc: str) -> None:
    now = dt.datetime.now(dt.UTC)
    empty = metrics.compute(metrics.Facts(), now, now, now)
    names = [
        *empty.as_api(),
        *metrics.BREAKDOWNS,
        *metrics.BREAKDOWN_FIELDS,
        *(key for key, _label in metrics.FUNNEL_STAGES),
    ]
    missing = [name for name in names if f"`{name}`" not in doc]
    assert not missing, f"not in {DOC}: {missing}"


def test_it_says_a_new_password_revokes_the_users_tokens(doc: str) -> None:
    words = " ".join(doc.split())
    assert "A new password for a user revokes every API token of theirs" in words
