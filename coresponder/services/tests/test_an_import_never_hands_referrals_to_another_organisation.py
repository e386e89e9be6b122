"""A directory import may not hand the referrals a service organisation was sent to another
partner organisation, nor name as partner an organisation that runs no services (a police
department, a district attorney): its provider users would read every referral sent there."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from coresponder.core.audit import SYSTEM
from coresponder.privacy.tests.world import World, build_world
from coresponder.programs.actions import load_programs
from coresponder.programs.models import Program
from coresponder.programs.tests.factories import (
    PoliceDepartmentFactory,
    ProsecutorOfficeFactory,
    ProviderOrganizationFactory,
)
from coresponder.services.actions import import_directory
from coresponder.services.hsds_export import export_directory
from coresponder.services.hsds_format import PARTNER
from coresponder.services.hsds_import import DirectoryImportFailed
from coresponder.services.models import Service, ServiceOrganization

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    load_programs(SYSTEM)
    return build_world(Program.objects.get(slug="pad"))


def organization(data: dict[str, Any], hsds_id: str) -> dict[str, Any]:
    return next(org for org in data["organizations"] if org["id"] == hsds_id)


def refused(data: dict[str, Any]) -> set[str]:
    with pytest.raises(DirectoryImportFailed) as failed:
        import_directory(SYSTEM, data)
    return {str(problem) for problem in failed.value.problems}


def partner_of(hsds_id: str) -> str | None:
    partner = ServiceOrganization.objects.get(hsds_id=hsds_id).partner
    return partner.slug if partner else None


def test_an_organisation_with_referrals_keeps_its_partner(world: World) -> None:
    ProviderOrganizationFactory.create(slug="north-clinic", name="North Clinic")
    data = export_directory()
    organization(data, "org-kr")[PARTNER] = "north-clinic"

    problems = refused(data)

    assert problems == {
        f"organization[org-kr].{PARTNER}: its services have 1 referral sent to Kensington "
        "Recovery; it cannot go to North Clinic (a referral already sent stays with the "
        "organisation it was sent to)"
    }
    assert partner_of("org-kr") == "kensington-recovery"


def test_an_organisation_with_referrals_is_not_left_without_its_partner(world: World) -> None:
    data = export_directory()
    organization(data, "org-kr")[PARTNER] = None

    problems = refused(data)

    assert problems == {
        f"organization[org-kr].{PARTNER}: its services have 1 referral sent to Kensington "
        "Recovery; it cannot go to no partner organisation (a referral already sent stays "
        "with the organisation it was sent to)"
    }
    assert partner_of("org-kr") == "kensington-recovery"


def test_a_service_with_referrals_does_not_move_to_another_partners_organisation(
    world: World,
) -> None:
    north = ProviderOrganizationFactory.create(slug="north-clinic", name="North Clinic")
    ServiceOrganization.objects.create(hsds_id="org-nc", name="North Clinic", partner=north)
    data = export_directory()
    data["services"][0]["organization_id"] = "org-nc"

    problems = refused(data)

    assert problems == {
        "service[svc-kr-moud].organization_id: the service has 1 referral sent to Kensington "
        "Recovery; it cannot go to North Clinic (a referral already sent stays with the "
        "organisation it was sent to)"
    }
    assert Service.objects.get(hsds_id="svc-kr-moud").organization.hsds_id == "org-kr"


def test_a_service_with_referrals_may_move_within_its_partner(world: World) -> None:
    ServiceOrganization.objects.create(
        hsds_id="org-kr-2", name="Kensington Recovery North", partner=world.provider_org
    )
    data = export_directory()
    data["services"][0]["organization_id"] = "org-kr-2"

    import_directory(SYSTEM, data)

    assert Service.objects.get(hsds_id="svc-kr-moud").organization.hsds_id == "org-kr-2"


def test_an_organisation_without_referrals_may_change_its_partner(world: World) -> None:
    ProviderOrganizationFactory.create(slug="north-clinic", name="North Clinic")
    ServiceOrganization.objects.create(hsds_id="org-empty", name="Empty")
    data = export_directory()
    organization(data, "org-empty")[PARTNER] = "north-clinic"

    import_directory(SYSTEM, data)

    assert partner_of("org-empty") == "north-clinic"


def test_a_police_department_or_district_attorney_cannot_run_a_directory_entry(
    world: World,
) -> None:
    PoliceDepartmentFactory.create(slug="phila-pd", name="Philadelphia Police")
    ProsecutorOfficeFactory.create(slug="phila-da", name="Philadelphia District Attorney")
    data = export_directory()
    data["organizations"] += [
        {"id": "org-new", "name": "New entry", PARTNER: "phila-pd"},
        {"id": "org-da", "name": "Another entry", PARTNER: "phila-da"},
    ]

    problems = refused(data)

    assert problems == {
        f"organization[org-new].{PARTNER}: Philadelphia Police (Police department) "
        "does not run services",
        f"organization[org-da].{PARTNER}: Philadelphia District Attorney (District "
        "attorney) does not run services",
    }
    assert not ServiceOrganization.objects.filter(hsds_id__in=["org-new", "org-da"]).exists()


def test_the_dry_run_names_the_record_and_field(world: World, tmp_path: Path) -> None:
    PoliceDepartmentFactory.create(slug="phila-pd", name="Philadelphia Police")
    data = export_directory()
    organization(data, "org-kr")[PARTNER] = "phila-pd"
    path = tmp_path / "directory.json"
    path.write_text(json.dumps(data))
    errors = []

    class Errors:
        def write(self, text: str) -> None:
            errors.append(text)

        def flush(self) -> None:
            pass

    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_hsds", str(path), "--dry-run", stderr=Errors())

    written = "\n".join(errors)
    assert f"organization[org-kr].{PARTNER}: its services have 1 referral sent to" in written
    assert f"organization[org-kr].{PARTNER}: Philadelphia Police (Police department)" in written
    assert partner_of("org-kr") == "kensington-recovery"
