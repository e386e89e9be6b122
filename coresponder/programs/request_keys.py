"""API requests that save once: a POST resent with its `Idempotency-Key` gets the first answer.

A client in the field sends a referral, loses the signal before the answer comes,
and sends it again. With the header

    Idempotency-Key: 2f1c6f0e-6d7b-4c59-9d0e-3a1b7f2c9e41

the first sending claims the key (a `RequestKey` row, unique per user and key) and
runs in one transaction with it, and a 2xx answer is kept with the key. Sending the
same request with the same key again writes nothing and answers what the first
sending answered, with `Idempotent-Replayed: true`. Two sendings at once race for
the claim: the second waits on the unique constraint until the first commits, then
gets its answer. A key sent with another request (another path or body) is refused
with 422, and so is a key that is not 1 to 64 visible characters. An answer other
than 2xx frees the key, so the corrected request may use it again. Without the
header a POST is answered as before.

The kept answer may hold what the gate let the sender see of a person. So the
first sending notes, for each person its audit events name, the groups of their
record the sender could see; a resend gets the answer again only while the gate
still shows the sender exactly those (no consent revoked, no program left), and
the replay is audited as a read of each such person, with its disclosures. When
that no longer holds, the resend gets 409 and reads the record afresh. This is the
API's side of `form_tokens` (ADR 0009); the worker forgets keys after a day.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from typing import TypedDict

from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse

from coresponder.core.audit import Actor
from coresponder.core.errors import NotVisible
from coresponder.core.http import client_address
from coresponder.core.models import AuditEvent
from coresponder.domain.policy import FieldGroup, GroupVisibility
from coresponder.privacy.access import PersonAccess, access_person
from coresponder.privacy.actions import record_person_read
from coresponder.privacy.models import Disclosure
from coresponder.programs.actions import (
    claim_request_key,
    forget_request_keys,
    note_answer_replayed,
    note_request_answered,
    release_request_key,
)
from coresponder.programs.models import RequestKey, User

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
KEY_PATTERN = r"^[\x21-\x7e]{1,64}$"
_SHAPE = re.compile(KEY_PATTERN)
# A client retries within minutes; a day covers a phone that was out of signal all shift.
KEEP_KEYS = dt.timedelta(days=1)

BAD_KEY = "Send an Idempotency-Key of 1 to 64 visible characters, such as a UUID."
OTHER_REQUEST = (
    "This Idempotency-Key was sent before with another request; use a new key for a new request."
)
IN_FLIGHT = "The first request with this Idempotency-Key is still being answered; send it again."
SEEN_CHANGED = (
    "This request was recorded already. What its answer showed of a person has changed "
    "since, so it is not given again: read the record afresh."
)


class Seen(TypedDict):
    """What the first answer could show of one person, and what it disclosed."""

    shown: list[str]
    disclosed: list[str]


class _Taken(Exception):
    """Another sending holds the key."""


def sent_key(request: HttpRequest) -> str | None:
    """The header's key as sent, quotes (a structured-field string) taken off; None if absent."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return value


def fingerprint(request: HttpRequest) -> str:
    """What makes two sendings the same request: method, path and body. A JSON body is
    compared as the data it holds, so a client that writes it again on a retry (its keys
    in another order, other spacing) sends the same request."""
    digest = hashlib.sha256()
    for part in (request.method or "", request.get_full_path()):
        digest.update(part.encode())
        digest.update(b"\0")
    digest.update(_comparable_body(request))
    return digest.hexdigest()


def _comparable_body(request: HttpRequest) -> bytes:
    body = request.body
    if request.content_type != "application/json":
        return body
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return body  # the API refuses it; as sent, it is still one request
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def answer_once(
    request: HttpRequest, user: User | None, answer: Callable[[HttpRequest], HttpResponseBase]
) -> HttpResponseBase:
    """Answer `request` with `answer`, at most once per `Idempotency-Key` of `user`'s.

    With a key, the whole answer runs in one transaction with the claim; an error at
    its commit is raised for the API's handlers to answer.
    """
    key = sent_key(request)
    if key is None or user is None or request.method != "POST":
        return answer(request)
    if not _SHAPE.fullmatch(key):
        return _refused(BAD_KEY)
    try:
        sent = fingerprint(request)
    except RequestDataTooBig:
        # The API's own handler says what the limit is.
        return answer(request)
    try:
        with transaction.atomic():
            claim = _claim(user, key, sent)
            # The events and disclosures this sending writes come after these.
            before = (_last(AuditEvent), _last(Disclosure))
            response = answer(request)
            _keep_or_free(claim, response, user, before)
    except _Taken:
        return _earlier_answer(request, user, key, sent)
    return response


def _claim(user: User, key: str, sent: str) -> RequestKey:
    """The claim comes first: a second sending waits here until the first commits."""
    try:
        with transaction.atomic():
            return claim_request_key(user, key, sent)
    except IntegrityError:
        raise _Taken() from None


def _last(model: type[AuditEvent] | type[Disclosure]) -> int:
    return model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _keep_or_free(
    claim: RequestKey, response: HttpResponseBase, user: User, before: tuple[int, int]
) -> None:
    if 200 <= response.status_code < 300 and isinstance(response, HttpResponse):
        note_request_answered(
            claim,
            response.status_code,
            response.get("Content-Type", ""),
            response.content.decode(response.charset or "utf-8"),
            _seen_by(user, before),
        )
        return
    try:
        with transaction.atomic():
            release_request_key(claim)
    except DatabaseError:
        # The refused request left the transaction unusable (PostgreSQL): undo it all.
        transaction.set_rollback(True)


def _seen_by(user: User, before: tuple[int, int]) -> dict[str, Seen]:
    """For each person the sending's events name, the groups the gate shows `user` now,
    and those the sending disclosed to them."""
    events, disclosures = before
    disclosed: dict[int, set[str]] = {}
    for person_id, groups in Disclosure.objects.filter(
        pk__gt=disclosures, recipient_user=user
    ).values_list("person_id", "groups"):
        disclosed.setdefault(person_id, set()).update(groups)
    people = {
        person_id
        for person_id in AuditEvent.objects.filter(
            pk__gt=events, actor=user, person_id__isnull=False
        ).values_list("person_id", flat=True)
        if person_id is not None
    } | set(disclosed)
    seen: dict[str, Seen] = {}
    for person_id in sorted(people):
        try:
            shown = _shown(access_person(user, person_id))
        except NotVisible:
            shown = []
        seen[str(person_id)] = {"shown": shown, "disclosed": sorted(disclosed.get(person_id, ()))}
    return seen


def _shown(access: PersonAccess) -> list[str]:
    return sorted(
        group.value for group in FieldGroup if access.decision(group) is GroupVisibility.SHOWN
    )


def _earlier_answer(request: HttpRequest, user: User, key: str, sent: str) -> HttpResponse:
    earlier = RequestKey.objects.filter(user=user, key=key).first()
    if earlier is None or earlier.status is None:
        # Freed by a refusal in the meantime, or still in flight where writes don't wait.
        return _conflict(IN_FLIGHT)
    if earlier.fingerprint != sent:
        return _refused(OTHER_REQUEST)
    accesses = _still_seen(user, earlier.seen)
    if accesses is None:
        return _conflict(SEEN_CHANGED)
    actor = Actor(user=user, where=client_address(request))
    with transaction.atomic():
        note_answer_replayed(actor, earlier, request.path)
        for access in accesses:
            # What the first answer disclosed, it discloses again.
            for group in earlier.seen[str(access.person.pk)]["disclosed"]:
                access.shows(FieldGroup(group))
            record_person_read(actor, access, channel="api", purpose="answer given again")
    response = HttpResponse(
        earlier.body, status=earlier.status, content_type=earlier.content_type or None
    )
    response[REPLAYED] = "true"
    return response


def _still_seen(user: User, seen: dict[str, Seen]) -> list[PersonAccess] | None:
    """Each person's access when the gate shows `user` what it showed at first; else None."""
    accesses = []
    for person_id, first in seen.items():
        try:
            access = access_person(user, person_id)
        except NotVisible:
            if first["shown"]:
                return None
            continue
        shown = _shown(access)
        # A group disclosed on a basis the gate does not decide (the reader's own
        # organisation's Part 2 record) cannot be checked again here: read it afresh.
        if shown != first["shown"] or not set(first["disclosed"]) <= set(shown):
            return None
        accesses.append(access)
    return accesses


def _conflict(message: str) -> JsonResponse:
    return JsonResponse({"detail": message, "errors": {HEADER: [message]}}, status=409)


def _refused(message: str) -> JsonResponse:
    return JsonResponse(
        {"detail": "The request has a value that cannot be used.", "errors": {HEADER: [message]}},
        status=422,
    )


def forget_old_keys(now: dt.datetime, keep: dt.timedelta = KEEP_KEYS) -> int:
    """Delete request keys older than `keep`; the records their requests saved stay."""
    return forget_request_keys(now - keep)
