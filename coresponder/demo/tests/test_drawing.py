"""The generator's building blocks, without a database."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

from django.db import models

from coresponder.demo.areas import PROFILES, profile_for
from coresponder.demo.cleanup import records_about
from coresponder.demo.directory import CATEGORIES
from coresponder.demo.draw import Deck, Weighted, local_moment, point_in_area
from coresponder.demo.people import PeopleMaker
from coresponder.domain.presets import SERVICE_CATEGORIES, Area
from coresponder.people.models import Person


def test_a_deck_deals_every_value_before_it_repeats_one() -> None:
    rng = random.Random(3)
    weights = Weighted({"common": 100.0, "rare": 0.01, "never": 0.0})
    deck = Deck(rng, ["common", "rare", "never"])
    first = {deck.draw(rng, weights) for _ in range(2)}
    assert first == {"common", "rare"}
    assert all(deck.draw(rng, weights) != "never" for _ in range(50))


def test_points_fall_inside_the_area() -> None:
    rng = random.Random(5)
    for _ in range(500):
        latitude, longitude = point_in_area(rng, 41.9584, -70.6673, 25)
        assert abs(latitude - 41.9584) <= 25 / 111.32 + 1e-6
        assert abs(longitude + 70.6673) <= 25 / (111.32 * 0.74)


def test_local_times_are_returned_in_utc() -> None:
    moment = local_moment(random.Random(1), dt.date(2025, 1, 15), ZoneInfo("America/Denver"))
    assert moment.tzinfo is dt.UTC


def test_an_unknown_area_is_named_after_its_first_town() -> None:
    profile = profile_for("Springfield, IL")
    assert profile.region == "IL"
    assert profile.towns[0].name == "Springfield"
    assert "Kensington and North Philadelphia" in PROFILES


def test_every_service_category_has_a_directory_entry() -> None:
    assert set(CATEGORIES) == SERVICE_CATEGORIES


def test_a_variant_record_differs_from_the_true_identity() -> None:
    rng = random.Random(11)
    maker = PeopleMaker(rng, profile_for("Plymouth County, MA"), Area("x", 41.9, -70.6, 20))
    for _ in range(200):
        identity = maker.identity(dt.date(2024, 5, 1))
        first = maker.record(identity, variant=False)
        second = maker.record(identity, variant=True)
        fields = ("given_name", "family_name", "birth_date", "phone", "address")
        assert [getattr(first, f) for f in fields] == [getattr(identity, f) for f in fields]
        assert [getattr(second, f) for f in fields] != [getattr(first, f) for f in fields]


def test_the_same_seed_draws_the_same_people() -> None:
    def names(seed: int) -> list[str]:
        maker = PeopleMaker(
            random.Random(seed), profile_for("Longmont, CO"), Area("x", 40, -105, 7)
        )
        return [maker.identity(dt.date(2024, 1, 1)).given_name for _ in range(20)]

    assert names(1) == names(1)
    assert names(1) != names(2)


def test_a_fresh_load_removes_every_record_that_holds_on_to_a_person() -> None:
    # A record kept about a person whose link protects it from the person's deletion must
    # go before the person, or a fresh load fails once staff recorded one while trying it.
    holding = {
        relation.related_model
        for relation in Person._meta.related_objects
        if relation.on_delete is models.PROTECT
    }
    removed = {queryset.model for queryset in records_about([])}

    assert holding - removed == set()
