"""API requests that save once: a POST resent with its `Idempotency-Key` gets the first answer.

A client in the field sends a referral, loses the signal before the answer comes,
and sends it again. With the header

    Idempotency-Key: 2f1c6f0e-6d7b-4c59-9d0e-3a1b7f2c9e41

the first sending claims the key (a `RequestKey` row, unique per user and key) in
the same transaction as its writes, and a 2xx answer is kept with it. Sending the
same request with the same key again writes nothing and answers what the first
sending answered, with `Idempotent-Replayed: true`. Two sendings at once race for
the claim: the second waits on the unique constraint until the first commits, then
gets its answer. A key sent with another request (another path or body) is refused
with 422, and so is a key that is not 1 to 64 visible characters. An answer other
than 2xx frees the key, so the corrected request may use it again. Without the
header a POST is answered as before. A replay is audited as a read of the kept
answer (the first sending's own events name whose records it wrote). This is the
API's side of `form_tokens` (ADR 0009); the worker forgets keys after a day.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable

from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse

from coresponder.core.audit import Actor
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
_SHAPE = re.compile(r"^[\x21-\x7e]{1,64}$")
# A client retries within minutes; a day covers a phone that was out of signal all shift.
KEEP_KEYS = dt.timedelta(days=1)

BAD_KEY = "Send an Idempotency-Key of 1 to 64 visible characters, such as a UUID."
OTHER_REQUEST = (
    "This Idempotency-Key was sent before with another request; use a new key for a new request."
)
IN_FLIGHT = "The first request with this Idempotency-Key is still being answered; send it again."


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
    """What makes two sendings the same request: method, path and body."""
    digest = hashlib.sha256()
    for part in (request.method or "", request.get_full_path()):
        digest.update(part.encode())
        digest.update(b"\0")
    digest.update(request.body)
    return digest.hexdigest()


def answer_once(
    request: HttpRequest, user: User | None, answer: Callable[[HttpRequest], HttpResponseBase]
) -> HttpResponseBase:
    """Answer `request` with `answer`, at most once per `Idempotency-Key` of `user`'s."""
    key = sent_key(request)
    if key is None or user is None or request.method != "POST":
        return answer(request)
    if not _SHAPE.match(key):
        return _refused(BAD_KEY)
    try:
        sent = fingerprint(request)
    except RequestDataTooBig:
        # The API's own handler says what the limit is.
        return answer(request)
    try:
        with transaction.atomic():
            # The claim comes first: a second sending waits here until the first commits.
            claim = claim_request_key(user, key, sent)
            response = answer(request)
            _keep_or_free(claim, response)
    except IntegrityError:
        return _earlier_answer(request, user, key, sent)
    return response


def _keep_or_free(claim: RequestKey, response: HttpResponseBase) -> None:
    if 200 <= response.status_code < 300 and isinstance(response, HttpResponse):
        note_request_answered(
            claim,
            response.status_code,
            response.get("Content-Type", ""),
            response.content.decode(response.charset or "utf-8"),
        )
        return
    try:
        with transaction.atomic():
            release_request_key(claim)
    except DatabaseError:
        # The refused request left the transaction unusable (PostgreSQL): undo it all.
        transaction.set_rollback(True)


def _earlier_answer(request: HttpRequest, user: User, key: str, sent: str) -> HttpResponse:
    earlier = RequestKey.objects.filter(user=user, key=key).first()
    if earlier is None or earlier.status is None:
        # Freed by a refusal in the meantime, or still in flight where writes don't wait.
        return JsonResponse({"detail": IN_FLIGHT, "errors": {HEADER: [IN_FLIGHT]}}, status=409)
    if earlier.fingerprint != sent:
        return _refused(OTHER_REQUEST)
    where = str(request.META.get("REMOTE_ADDR", ""))
    note_answer_replayed(Actor(user=user, where=where), earlier, request.path)
    response = HttpResponse(
        earlier.body, status=earlier.status, content_type=earlier.content_type or None
    )
    response[REPLAYED] = "true"
    return response


def _refused(message: str) -> JsonResponse:
    return JsonResponse(
        {"detail": "The request has a value that cannot be used.", "errors": {HEADER: [message]}},
        status=422,
    )


def forget_old_keys(now: dt.datetime, keep: dt.timedelta = KEEP_KEYS) -> int:
    """Delete request keys older than `keep`; the records their requests saved stay."""
    return forget_request_keys(now - keep)
