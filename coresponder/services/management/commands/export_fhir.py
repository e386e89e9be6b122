"""Export closed-loop referrals as FHIR R4 bundles: one JSON file per referral."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from coresponder.core.audit import SYSTEM, record_list_read
from coresponder.domain.vocabulary import Role
from coresponder.people.amendments_in_disclosures import attached_for_role, ids_of
from coresponder.privacy.actions import record_export_disclosure
from coresponder.programs.models import Program
from coresponder.services.fhir import carries_part2, referral_bundle
from coresponder.services.models import ServiceReferral


class Command(BaseCommand):
    help = (
        "Write each service referral as a FHIR R4 Bundle (ServiceRequest + Task) to "
        "PATH/referral-<id>.json; --program limits to one program."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", help="a folder; made when missing")
        parser.add_argument("--program", help="program slug")

    def handle(self, *args: Any, **options: Any) -> None:
        folder = Path(options["path"])
        referrals = ServiceReferral.objects.select_related(
            "service__organization", "program", "consent"
        ).prefetch_related("service__taxonomy_terms")
        slug = options.get("program")
        if slug:
            if not Program.objects.filter(slug=slug).exists():
                raise CommandError(f"no program {slug!r}")
            referrals = referrals.filter(program__slug=slug)
        folder.mkdir(parents=True, exist_ok=True)
        ids = []
        # Each program's referrals, and their people, for the export's audit.
        exported: dict[str, tuple[list[int], set[int]]] = {}
        for referral in referrals.order_by("id").iterator(chunk_size=500):
            # The file is made for the provider: the refused corrections of what a provider
            # reads of the person go with it (45 CFR 164.526(d)(5)).
            corrections = attached_for_role(referral.person_id, referral.program_id, Role.PROVIDER)
            bundle = referral_bundle(referral, corrections=corrections)
            target = folder / f"referral-{referral.pk}.json"
            with transaction.atomic():
                target.write_text(json.dumps(bundle, indent=2, ensure_ascii=False) + "\n", "utf-8")
                if carries_part2(referral):
                    record_export_disclosure(
                        SYSTEM,
                        referral.person_id,
                        recipient=f"FHIR export for {referral.service.organization.name}",
                        # What went, not what it said: the accounting is read by staff who
                        # see the status itself only with the person's consent.
                        information=f"Referral {referral.pk} to {referral.service.name} and its "
                        "treatment status, as a FHIR bundle",
                        consent=referral.consent,
                        program=referral.program,
                        amendments=ids_of(corrections),
                    )
            ids.append(referral.pk)
            referrals_of, people_of = exported.setdefault(referral.program.slug, ([], set()))
            referrals_of.append(referral.pk)
            people_of.add(referral.person_id)
        # One export event for each program's bundles, filed under each person in them too.
        for program_slug, (referral_ids, people) in sorted(exported.items()) or [
            (slug or "", ([], set()))
        ]:
            record_list_read(
                SYSTEM,
                action="export",
                object_type="services.servicereferral",
                ids=sorted(people),
                program_slug=program_slug,
                fields=["referral", "part2"],
                detail={
                    "format": "fhir-r4",
                    "count": len(referral_ids),
                    "referrals": referral_ids[:500],
                },
            )
        self.stdout.write(f"exported {len(ids)} referrals to {folder}")
