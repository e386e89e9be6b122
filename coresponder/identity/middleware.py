"""A merged person's old page leads to the person kept.

Bookmarks, notices, links in old audit rows and staff memory keep a merged person's old
number. A page under it (`/people/<id>/`, and every page whose address names a person,
such as `/people/<id>/timeline/` or `/people/<id>/care/`) finds nobody there, as the
merged record has no program of its own; a reader the gate lets see the person kept is
told where the record went instead of the 404 page. Anyone else gets that 404 page, as
for a number nobody has, so the old number tells them nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.deprecation import MiddlewareMixin

from coresponder.core.errors import NotVisible
from coresponder.core.http import API_PREFIX, actor_for
from coresponder.identity.access import merged_number
from coresponder.identity.actions import record_merged_number_read
from coresponder.identity.merged_numbers import kept_words, merged_on, merged_sentence, names_kept


class MergedPersonPages(MiddlewareMixin):
    """A page not found under a merged person's number: a GET or HEAD goes to the same page
    of the person kept, saying why; a form sent there is not sent on (its body would be
    lost, and it was meant for a record that is no longer its own), and is answered 409
    with a short page naming the person kept.

    Only a refused page is looked at, so other pages cost nothing. Listed after
    `GateAnswers`, as Django asks the last middleware about an exception first.
    """

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if request.path.startswith(API_PREFIX) or not isinstance(exception, NotVisible | Http404):
            return None
        match = request.resolver_match
        if match is None or "person_id" not in match.kwargs:
            return None
        found = merged_number(request.user, match.kwargs["person_id"])
        if found is None:
            return None
        record_merged_number_read(actor_for(request), found, channel="web", named=names_kept(found))
        kept = found.kept.person.pk
        if request.method in ("GET", "HEAD"):
            messages.info(request, f"{merged_sentence(found, request.user)}.")
            url = reverse(
                match.view_name, args=match.args, kwargs={**match.kwargs, "person_id": kept}
            )
            query = request.META.get("QUERY_STRING")
            return HttpResponseRedirect(f"{url}?{query}" if query else url)
        context = {
            "number": found.number,
            "kept": kept,
            "kept_words": kept_words(found),
            "on": merged_on(found, request.user),
        }
        return render(request, "identity/merged_number.html", context, status=409)
