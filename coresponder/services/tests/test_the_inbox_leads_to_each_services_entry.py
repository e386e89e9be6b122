"""A provider keeps its services' directory entries right from where it keeps their places
free: the inbox links each service it runs to the form that corrects its entry."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from coresponder.core.audit import SYSTEM
from coresponder.domain.vocabulary import Role
from coresponder.privacy.tests.world import World, build_world, reader
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def test_the_inbox_links_each_service_to_the_form_that_corrects_its_entry(
    world: World,
) -> None:
    client = Client()
    client.force_login(reader(world, Role.PROVIDER))
    service = world.service_referral.service
    edit = reverse("service-edit", args=[world.program.slug, service.pk])

    page = client.get("/services/inbox/").content.decode()

    assert f'href="{edit}"' in page
    assert client.get(edit).status_code == 200, "the link leads to the form"
