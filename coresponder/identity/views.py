"""Identity resolution in the web UI: the coordinators' review queue, and earlier contacts.

Possible earlier contacts appear on the staff referral form as the user types
(htmx asks `match_suggest` for a fragment); without a script, the form's
"Check for earlier contacts" button posts the form back to itself, which shows the
same list in place (`identity.earlier_contacts`) without saving.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from coresponder.core.audit import record_list_read
from coresponder.core.errors import ActionError, StaleVersion
from coresponder.core.http import actor_for
from coresponder.domain.intake import readable_phone
from coresponder.domain.linkage import SUFFIX_LABELS, Record, normalise, normalise_phone
from coresponder.domain.policy import FieldGroup
from coresponder.domain.vocabulary import label as label_of
from coresponder.identity.access import (
    access_candidate,
    access_merge,
    access_pair,
    access_pairs,
    compared_records_of,
    death_shown,
    deciding_in,
    may_decide,
    merge_history,
    pending_candidates,
    queue_programs,
)
from coresponder.identity.actions import (
    MatchDecision,
    ask_about_pair,
    ask_again,
    caution_shown,
    decide_match,
    evidence_rows,
    linkage_record,
    unmerge,
)
from coresponder.identity.earlier_contacts import earlier_contacts
from coresponder.identity.matching import (
    active_params,
    described_evidence,
    reason_text,
    score_pair,
    weight_words,
)
from coresponder.identity.models import MatchCandidate, SourceRecord
from coresponder.people.models import Sex
from coresponder.privacy.access import (
    Linkable,
    PersonAccess,
    linkable,
    program_for,
)
from coresponder.programs.local_time import format_date, reader_zone

PAGE_SIZE = 20
STALE_MESSAGE = "Someone decided about this pair already. The queue below is as it stands now."
# A pair weighed again (a new report, a batch run) with new evidence since the queue was read:
# still waiting, shown first as it now stands.
EVIDENCE_UPDATED = (
    "The evidence for pair {pair} was updated since you loaded the queue (the two records "
    "were weighed again), so nothing was decided. It is shown first below as it stands now: "
    "decide again."
)
# A decision sent twice (a double tap, Back and the same button again) finds it made.
ALREADY_DECIDED: dict[str, str] = {
    MatchDecision.MERGE.value: "These two were merged already; nothing changed.",
    MatchDecision.REJECT.value: "These two were kept apart already; nothing changed.",
}
DECIDED_AS: dict[str, str] = {
    MatchDecision.MERGE.value: MatchCandidate.Status.MERGED.value,
    MatchDecision.REJECT.value: MatchCandidate.Status.REJECTED.value,
}
INCOMPLETE_MESSAGE = (
    "The decision came without the pair's version, so nothing was decided: decide again below."
)
COMPARED = (
    ("given_name", "Given name", FieldGroup.IDENTITY),
    ("family_name", "Family name", FieldGroup.IDENTITY),
    ("birth_date", "Birth date", FieldGroup.IDENTITY),
    ("sex", "Sex", FieldGroup.IDENTITY),
    ("phone", "Phone", FieldGroup.CONTACT),
    ("address", "Address", FieldGroup.CONTACT),
)


def _require_decider(request: HttpRequest) -> None:
    if not may_decide(request.user):
        raise Http404("No match review for this role")


# The field the suffix row sits after, and its label as the evidence names it.
SUFFIX_AFTER = "family_name"
SUFFIX_LABEL = "Suffix (Jr, Sr)"
PLACEHOLDER_FIELDS = {
    "given_name": "given_placeholder",
    "family_name": "family_placeholder",
    "birth_date": "birth_date_placeholder",
}


def _compared_value(name: str, compared: Record) -> Any:
    """What of a field says whether two records agree, as the comparisons read it (`compared`
    is the record normalised): names whatever the capitals, spaces and suffix, a phone by
    its digits, a birth date or, where only a year is known, the year; None where the
    record gives nothing or only a placeholder."""
    if name == "birth_date":
        return compared.birth_date or compared.birth_year
    if name == "given_name":
        return compared.given or None
    if name == "family_name":
        return compared.family or None
    if name == "phone":
        return normalise_phone(compared.phone) or None
    if name == "sex":
        return compared.sex or None
    return " ".join(compared.address.split()) or None


def _differ(left: dict[str, Any], right: dict[str, Any]) -> bool:
    """Whether both records give a field the reader sees, and they disagree: a year alone
    disagrees with a birth date only in another year."""
    if not (left["shown"] and right["shown"]):
        return False
    first, second = left["compared"], right["compared"]
    if first is None or second is None:
        return False
    if isinstance(first, dt.date) != isinstance(second, dt.date):
        years = [v.year if isinstance(v, dt.date) else v for v in (first, second)]
        return bool(years[0] != years[1])
    return bool(first != second)


def _side_by_side(
    first: list[dict[str, Any]], second: list[dict[str, Any]]
) -> list[tuple[dict[str, Any], dict[str, Any], bool]]:
    """Each field of the two records beside each other, and whether they differ; a row for
    the suffix (Jr, Sr) only where either record gives one."""
    rows = [(a, b, _differ(a, b)) for a, b in zip(first, second, strict=True)]
    return [row for row in rows if not row[0]["suffix"] or row[0]["value"] or row[1]["value"]]


def _rows(
    values: dict[str, Any], birth_year: int | None, record: Record, access: PersonAccess
) -> list[dict[str, Any]]:
    """The fields of one person or record the reader may see, as written, each with what of
    it is compared; the rest say they are not shown."""
    compared = normalise(record)
    rows = []
    for name, label, group in COMPARED:
        shown = access.shows(group)
        value = values[name]
        if name == "sex":
            value = dict(Sex.choices).get(value, value)
        elif name == "phone":
            value = readable_phone(value)
        elif name == "birth_date" and value is None and birth_year:
            value = f"{birth_year} (year only)"
        elif name == "birth_date" and value is not None:
            value = format_date(value, with_year=True)
        placeholder = name in PLACEHOLDER_FIELDS and getattr(compared, PLACEHOLDER_FIELDS[name])
        rows.append(
            {
                "label": label,
                "value": value if shown else None,
                "shown": shown,
                "compared": _compared_value(name, compared) if shown else None,
                "placeholder": bool(placeholder and shown),
                "suffix": False,
            }
        )
        if name == SUFFIX_AFTER:
            suffix = SUFFIX_LABELS.get(compared.suffix, "")
            rows.append(
                {
                    "label": SUFFIX_LABEL,
                    "value": suffix if shown else None,
                    "shown": shown,
                    "compared": (suffix or None) if shown else None,
                    "placeholder": False,
                    "suffix": True,
                }
            )
    return rows


def _side(access: PersonAccess) -> list[dict[str, Any]]:
    """The fields of one person the reader may see; the rest say they are not shown."""
    person = access.person
    values = {name: getattr(person, name) for name, _label, _group in COMPARED}
    return _rows(values, person.birth_year, linkage_record(person), access)


def _record_side(record: SourceRecord, access: PersonAccess) -> list[dict[str, Any]]:
    """One compared source record's fields, as `_side` shows a person's."""
    values = {name: getattr(record, name) for name, _label, _group in COMPARED}
    return _rows(values, record.birth_year, linkage_record(record), access)


def _record_heading(record: SourceRecord, zone: Any) -> str:
    """'EMS, 3 Mar 2026': whose account and when it came."""
    received = format_date(record.received_at.astimezone(zone).date(), with_year=True)
    return f"{record.get_source_display()}, {received}"


def _death_waiting(candidate: Any, first: PersonAccess, second: PersonAccess) -> str:
    """What a report of a death naming one of the two records waits on, in words, or ""
    (none, or the reader does not read the overdose it reports)."""
    death = death_shown(first, second, candidate.evidence)
    if death is None:
        return ""
    named = death["named"]
    other = candidate.person_b_id if named == candidate.person_a_id else candidate.person_a_id
    day = format_date(dt.date.fromisoformat(death["on"]), with_year=True)
    source = label_of("source", death["reported_by"])
    return (
        f"A report of a fatal overdose on {day} ({source}) named person {named}; the "
        f"overdose it reports is person {other}'s. Nobody is marked dead until you decide. "
        f"Merge: the overdose is recorded as fatal, the person kept as dead on that day, "
        f"their follow-up closes and, where the program follows up deaths with the family, "
        f"the family's opens. Not the same person: the report becomes person {named}'s own "
        f"fatal overdose, they are recorded as dead, their follow-ups close and their "
        f"family's opens where the program does that; person {other}'s overdose stays "
        f"survived."
    )


def _evidence(evidence: Any) -> dict[str, Any]:
    described, _vector = described_evidence(evidence_rows(evidence))
    rows = [
        {
            **row,
            "label": reason_text(row["comparison"], row["level"], row["weight"]).split(":")[0],
            "sign": weight_words(row["weight"]),
        }
        for row in described
    ]
    total = evidence.get("weight") if isinstance(evidence, dict) else None
    compared = sum(r["weight"] for r in rows)
    # The model's starting point (how often any two records are one person): the rows and
    # the total add up only with it.
    prior = None if total is None or abs(total - compared) < 0.05 else round(total - compared, 2)
    return {
        "rows": rows,
        "caution": caution_shown(evidence),
        "prior": prior,
        "total": total if total is not None else round(compared, 2),
    }


@login_required
@require_GET
def match_review(request: HttpRequest) -> HttpResponse:
    """Pending pairs side by side with their evidence, and the merges that can be undone."""
    _require_decider(request)
    return _review_page(request)


def _review_page(
    request: HttpRequest, status: int = 200, again: MatchCandidate | None = None
) -> HttpResponse:
    """The queue, at the page asked for (or the page a refused decision was made on), with
    `again` (a pair to decide again) at its top."""
    number = request.GET.get("page") or request.POST.get("page")
    zone = reader_zone(request.user)
    page = Paginator(pending_candidates(request.user), PAGE_SIZE).get_page(number)
    listed = list(page.object_list)
    if again is not None:
        listed = [again, *(c for c in listed if c.pk != again.pk)]
    pairs: list[dict[str, Any]] = []
    # The page's people and the reports its pairs compared, each read once for the page.
    seen = access_pairs(request.user, listed)
    candidates = [c for c in listed if c.pk in seen]
    weighed = compared_records_of([(*seen[c.pk], c.evidence) for c in candidates])
    for candidate, compared in zip(candidates, weighed, strict=True):
        first, second = seen[candidate.pk]
        pairs.append(
            {
                "candidate": candidate,
                "records": sorted(r.pk for r in compared or ()),
                "a": first.person,
                "b": second.person,
                "fields": _side_by_side(_side(first), _side(second)),
                "evidence": _evidence(candidate.evidence),
                "death": _death_waiting(candidate, first, second),
                "compared": {
                    "a": _record_heading(compared[0], zone),
                    "b": _record_heading(compared[1], zone),
                    "fields": _side_by_side(
                        _record_side(compared[0], first), _record_side(compared[1], second)
                    ),
                }
                if compared
                else None,
            }
        )
    merges = merge_history(request.user)
    _record_queue_read(request, pairs, [m.merge for m in merges if m.kept_name or m.merged_name])
    context = {
        "pairs": pairs,
        "page": page,
        "merges": merges,
        "decisions": MatchDecision,
        "zone": zone,
    }
    return render(request, "identity/review.html", context, status=status)


def _record_queue_read(
    request: HttpRequest, pairs: list[dict[str, Any]], merges: list[Any]
) -> None:
    """The page's read, filed under the program each pair and each merge named belongs to
    (`queue_programs`): one list read per program, with the people, pairs and reports it
    showed; an empty page, under the one program where the reader decides pairs, if one."""
    pair_programs, merge_programs = queue_programs(
        request.user,
        [(p["a"].pk, p["b"].pk) for p in pairs],
        [(m.kept_id, m.merged_id) for m in merges],
    )
    filed: dict[str, dict[str, list[int]]] = {}

    def under(slug: str) -> dict[str, list[int]]:
        return filed.setdefault(slug, {"people": [], "candidates": [], "records": []})

    for pair, slug in zip(pairs, pair_programs, strict=True):
        group = under(slug)
        group["people"] += [pair["a"].pk, pair["b"].pk]
        group["candidates"].append(pair["candidate"].pk)
        group["records"] += pair["records"]
    for merge, slug in zip(merges, merge_programs, strict=True):
        under(slug)["people"] += [merge.kept_id, merge.merged_id]
    if not filed:
        under(deciding_in(request.user))
    actor = actor_for(request)
    for slug, group in sorted(filed.items()):
        shown = sorted(set(group["people"]))
        record_list_read(
            actor,
            object_type="people.matchcandidate",
            ids=shown,
            program_slug=slug,
            fields=["identity", "contact"],
            detail={
                "review": True,
                "candidates": group["candidates"],
                "person_ids": shown,
                "source_record_ids": sorted(set(group["records"])),
            },
        )


@login_required
@require_POST
def match_decide(request: HttpRequest, candidate_id: int) -> HttpResponse:
    _require_decider(request)
    candidate = access_candidate(request.user, candidate_id)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        # Only a form not drawn by the queue sends no version: nothing was decided.
        messages.error(request, INCOMPLETE_MESSAGE)
        return _review_page(request, status=422)
    try:
        merge = decide_match(
            actor_for(request), candidate, request.POST.get("decision", ""), version
        )
    except StaleVersion:
        decision = request.POST.get("decision", "")
        if _stands_as(access_candidate(request.user, candidate_id), decision, version):
            messages.info(request, ALREADY_DECIDED[decision])
            return _back_to_queue(request)
        waiting = pending_candidates(request.user).filter(pk=candidate.pk).first()
        if waiting is not None:
            # Nobody decided: the pair was weighed again. Shown again, to decide on that.
            messages.error(request, EVIDENCE_UPDATED.format(pair=waiting.pk))
            return _review_page(request, status=409, again=waiting)
        # The queue as it stands now, so the decision is made on what is there.
        messages.error(request, STALE_MESSAGE)
        return _review_page(request, status=409)
    except ActionError as exc:
        messages.error(request, str(exc))
        return _review_page(request, status=422)
    else:
        if merge is not None:
            messages.success(
                request,
                f"Merged: {_named(merge.merged)} is now part of {_named(merge.kept)}.",
            )
        else:
            messages.success(request, "Noted: these are different people.")
    return _back_to_queue(request)


def _named(person: Any) -> str:
    """'Rosa Delgado (person 3755)': two records merged mostly carry one name, so each is
    named by its number too, as the list of recent merges names them."""
    name = f"{person.given_name} {person.family_name}".strip()
    return f"{name} (person {person.pk})" if name else f"person {person.pk}"


def _stands_as(candidate: MatchCandidate, decision: str, version: int) -> bool:
    """Whether the pair was decided as asked, from the version the asker saw: the one
    decision since (theirs, sent before, or another's that agrees)."""
    wanted = DECIDED_AS.get(decision)
    return wanted is not None and candidate.status == wanted and candidate.version == version + 1


def _back_to_queue(request: HttpRequest) -> HttpResponse:
    """Back to the page the pair was decided on, so the coordinator works on from there."""
    page = str(request.POST.get("page") or "")
    queue = reverse("people-match-review")
    return redirect(f"{queue}?page={page}" if page.isdigit() and page != "1" else queue)


@login_required
@require_POST
def merge_undo(request: HttpRequest, merge_id: int) -> HttpResponse:
    merge = access_merge(request.user, merge_id)
    try:
        keep, other = unmerge(actor_for(request), merge)
    except ActionError as exc:
        if "merge" in exc.errors:
            # Pressed twice, or undone by another coordinator: it stands undone.
            messages.info(request, str(exc))
        else:
            messages.error(request, str(exc))
    else:
        messages.success(
            request, f"Merge undone: {_named(keep)} and {_named(other)} are separate again."
        )
    return redirect("people-match-review")


@login_required
@require_POST
def merge_ask_again(request: HttpRequest, merge_id: int) -> HttpResponse:
    """An undone merge back on the queue, weighed as the two people are now."""
    _require_decider(request)
    merge = access_merge(request.user, merge_id)
    if merge.undone_at is None:
        # While merged, the person merged in is part of the one kept: nothing to weigh.
        messages.error(request, "This merge stands: undo it first.")
        return redirect("people-match-review")
    first, second = access_pair(request.user, merge.kept_id, merge.merged_id)
    evidence = score_pair(
        linkage_record(first.person), linkage_record(second.person), active_params()
    )
    evidence["asked_again_after_undo"] = merge.pk
    try:
        candidate = ask_again(actor_for(request), merge, evidence)
    except ActionError as exc:
        messages.error(request, str(exc))
        return redirect("people-match-review")
    messages.success(
        request,
        f"Persons {merge.kept_id} and {merge.merged_id} are back on the queue as pair "
        f"{candidate.pk}: decide them again below.",
    )
    return redirect(f"{reverse('people-match-review')}#pair-{candidate.pk}")


@login_required
@require_POST
def match_ask(request: HttpRequest, person_id: int, other_id: int) -> HttpResponse:
    """Two people put on the review queue by a coordinator (a request for help beside a
    record the program has), weighed as they are now; the merge is decided there."""
    _require_decider(request)
    if person_id == other_id:
        raise Http404("A person is not a pair")
    first, second = access_pair(request.user, person_id, other_id)
    evidence = score_pair(
        linkage_record(first.person), linkage_record(second.person), active_params()
    )
    try:
        candidate = ask_about_pair(actor_for(request), first.person, second.person, evidence)
    except ActionError as exc:
        messages.error(request, str(exc))
        return redirect("people-match-review")
    messages.success(
        request,
        f"Persons {person_id} and {other_id} are on the queue as pair {candidate.pk}: "
        "merge them below if they are one person.",
    )
    return redirect(f"{reverse('people-match-review')}#pair-{candidate.pk}")


def _linkable_for(request: HttpRequest) -> Linkable | None:
    """On a program's referral form, only the people a referral there may be linked to."""
    slug = str(request.GET.get("program", "")).strip()
    if not slug:
        return None
    program = program_for(request.user, slug)
    return linkable(request.user, program)


@login_required
@require_http_methods(["GET", "POST"])
def match_suggest(request: HttpRequest) -> HttpResponse:
    """Possible earlier contacts for what is typed so far: a fragment for htmx, else a page.

    The fragment sits inside the referral form, so each suggestion can be picked
    there; the page (kept for links and older forms) only lists them.
    """
    data = request.POST if request.method == "POST" else request.GET
    fragment = request.headers.get("HX-Request") == "true"
    context = earlier_contacts(request, data, _linkable_for(request), choosing=fragment)
    if fragment:
        return render(request, "identity/suggestions.html", context)
    return render(request, "identity/suggest_page.html", context)
