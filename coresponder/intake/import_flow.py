"""A file imported on the web, whatever its kind: upload, check every row, commit once.

The uploaded file waits between steps in a file under VAR_DIR/<folder> named by a
random token that only the uploader's session knows; it is removed after the
commit, when the user uploads another, and by the next upload after a day. The
session keeps the file's name and the choices made on the way, and after the
commit what it added, for the last page. The commit runs once per form token: a
double click, or Back and send, answers with what the first one imported.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from coresponder import import_limits
from coresponder.core.errors import ActionError, Forbidden
from coresponder.core.forms import PlainTextForm, style_uswds
from coresponder.intake.imports import ImportFailed, may_import
from coresponder.privacy.access import program_for
from coresponder.programs import form_tokens
from coresponder.programs.form_tokens import Kind
from coresponder.programs.models import Program

TOKEN = re.compile(r"[0-9a-f]{32}")
STALE_SECONDS = 24 * 3600
IMPORTED_ALREADY = "This file was imported already; here is what it added."
NO_IMPORT = "No import for this role"
UPLOAD_FIRST = "Upload the file first."

Parsed = TypeVar("Parsed")
State = dict[str, Any]


def program_for_import(request: HttpRequest, slug: str) -> Program:
    """The program, when the user's role in it may import; otherwise not found."""
    program = program_for(request.user, slug)
    if not may_import(request.user, program):
        raise Http404(NO_IMPORT)
    return program


class FileUploadForm(PlainTextForm):
    """The upload step's form: a `file` field within the size limit, read by `read_upload`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_uswds(self)
        self.data_bytes = b""

    def read_upload(self, data: bytes, name: str) -> None:
        """Read the file, or raise forms.ValidationError saying why it cannot be read."""
        raise NotImplementedError

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        too_large = import_limits.file_size_problem(upload.size or 0)
        if too_large:
            raise forms.ValidationError(too_large)
        self.data_bytes = b"".join(upload.chunks())
        self.read_upload(self.data_bytes, upload.name or "")
        return upload


@dataclass(frozen=True)
class ImportFlow(Generic[Parsed]):
    """One kind of import's steps: where its file waits, its session keys and its pages."""

    folder: str  # under VAR_DIR
    state_key: str  # the session's note of the file on its way
    result_key: str  # the session's note of what the commit added
    upload_page: str  # URL names, each taking the program's slug
    done_page: str
    unnamed: str  # the file's name when the browser sends none
    read: Callable[[bytes, str], Parsed]  # the kept file read again, from its bytes and name
    refused: type[Exception]  # what `read` raises for a file it cannot read

    def _folder(self) -> Path:
        folder = Path(settings.VAR_DIR) / self.folder
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def _store(self, data: bytes) -> str:
        folder = self._folder()
        cutoff = time.time() - STALE_SECONDS
        for old in folder.iterdir():
            if TOKEN.fullmatch(old.name) and old.stat().st_mtime < cutoff:
                old.unlink(missing_ok=True)
        token = secrets.token_hex(16)
        (folder / token).write_bytes(data)
        return token

    def _discard(self, state: State | None) -> None:
        token = (state or {}).get("token", "")
        if TOKEN.fullmatch(token):
            (self._folder() / token).unlink(missing_ok=True)

    def _state(self, request: HttpRequest, program: Program) -> State | None:
        state = request.session.get(self.state_key)
        if not isinstance(state, dict) or state.get("program") != program.slug:
            return None
        return state

    def start(
        self, request: HttpRequest, program: Program, form: FileUploadForm, **choices: Any
    ) -> None:
        """Keep the uploaded file for the next steps, in place of any uploaded before it."""
        self._discard(self._state(request, program))
        request.session[self.state_key] = {
            "program": program.slug,
            "token": self._store(form.data_bytes),
            "file_name": Path(form.cleaned_data["file"].name or self.unnamed).name[:200],
            **choices,
        }

    def remember(self, request: HttpRequest, state: State, **choices: Any) -> None:
        """Note the user's choices for the file on its way."""
        request.session[self.state_key] = {**state, **choices}

    def kept(self, request: HttpRequest, program: Program) -> tuple[State, Parsed] | None:
        """The session's note of the file on its way and the file read again, if both are there."""
        state = self._state(request, program)
        if state is None:
            return None
        token = state.get("token", "")
        path = self._folder() / token
        if not TOKEN.fullmatch(token) or not path.exists():
            return None
        try:
            return state, self.read(path.read_bytes(), state.get("file_name", ""))
        except self.refused:
            return None

    def upload_first(self, request: HttpRequest, program: Program) -> HttpResponse:
        messages.info(request, UPLOAD_FIRST)
        return redirect(self.upload_page, slug=program.slug)

    def preview(
        self,
        request: HttpRequest,
        program: Program,
        commit: Callable[[State, Parsed], dict[str, Any]],
        show: Callable[[State, Parsed, str], HttpResponse],
    ) -> HttpResponse:
        """The preview page, and on POST the commit, once per form token.

        `commit` writes and returns what it added, for the last page; `show` answers
        with the preview, saying why the commit failed when it did.
        """
        if request.method == "POST":
            # The import sent again (a double click, Back and send): what it imported, once.
            earlier = form_tokens.already_saved(request, Kind.IMPORT, IMPORTED_ALREADY)
            if earlier is not None:
                return earlier
        kept = self.kept(request, program)
        if kept is None:
            return self.upload_first(request, program)
        state, parsed = kept
        failure = ""
        if request.method == "POST":

            def save() -> HttpResponse:
                added = commit(state, parsed)
                request.session[self.result_key] = {"program": program.slug, **added}
                return redirect(self.done_page, slug=program.slug)

            try:
                response = form_tokens.save_once(request, Kind.IMPORT, save, IMPORTED_ALREADY)
            except Forbidden as exc:
                raise Http404(NO_IMPORT) from exc
            except (ImportFailed, ActionError) as exc:  # also a form token someone else used
                failure = str(exc)
            else:
                self._discard(state)
                request.session.pop(self.state_key, None)
                return response
        return show(state, parsed, failure)

    def result(self, request: HttpRequest, program: Program) -> dict[str, Any] | None:
        """What the program's last commit in this session added, for the last page."""
        result = request.session.get(self.result_key)
        if not isinstance(result, dict) or result.get("program") != program.slug:
            return None
        return result
