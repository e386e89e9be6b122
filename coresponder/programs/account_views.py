"""Accounts, for administrators: who signs in, in which programs and roles; new accounts;
roles given, changed and taken away; accounts disabled, enabled, unlocked, given a new
password, and second factors reset. Every change goes through `programs/actions.py` and is
audited (a new password as a change of the user, the rest as permission changes); anyone
but an administrator is answered 404."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from coresponder.core.errors import ActionError, StaleVersion
from coresponder.core.forms import add_action_errors
from coresponder.core.http import actor_for
from coresponder.domain.vocabulary import Role, label
from coresponder.privacy.access import is_admin
from coresponder.programs import form_tokens
from coresponder.programs.account_forms import (
    AccountForm,
    DisableForm,
    NewPasswordForm,
    RoleForm,
)
from coresponder.programs.actions import (
    SetupCode,
    create_user_with_setup_code,
    disable_user,
    enable_user,
    grant_role,
    reset_mfa,
    revoke_role,
    set_password,
    unlock_user,
)
from coresponder.programs.local_time import reader_zone
from coresponder.programs.models import Membership, Program, User
from coresponder.programs.signin import setup_code_digest

# At most this many accounts a page; a search narrows them.
PAGE_SIZE = 100
# The set-up code just given, kept in the administrator's session only until the account's
# page shows it, once.
SHOWN_SETUP_CODE = "accounts_setup_code"
# The set-up code the last reset gave, under the form token it was sent with, so the same form
# sent again (a second click, a reload) shows that code again instead of giving another.
GIVEN_SETUP_CODE = "accounts_setup_code_given"
RESET_ALREADY_DONE = "This was already done; here is the set-up code it gave."
ADMIN_EVERYWHERE = (
    "An administrator acts in every program: roles in one program do not apply to them."
)


def _require_admin(request: HttpRequest) -> None:
    if not is_admin(request.user):
        raise Http404("No such page")


def _with_memberships() -> Any:
    active = Membership.objects.filter(active=True).select_related("program")
    return User.objects.select_related("organization").prefetch_related(
        Prefetch("memberships", queryset=active.order_by("program__name"), to_attr="roles")
    )


@login_required
@require_http_methods(["GET", "POST"])
def accounts(request: HttpRequest) -> HttpResponse:
    """Locked accounts first (unlocked here), then everyone, searched by name."""
    _require_admin(request)
    if request.method == "POST":
        return _unlock(request)
    query = str(request.GET.get("q") or "").strip()
    everyone = _with_memberships().order_by("username")
    if query:
        everyone = everyone.filter(
            Q(username__icontains=query)
            | Q(display_name__icontains=query)
            | Q(organization__name__icontains=query)
        )
    listed = list(everyone[: PAGE_SIZE + 1])
    context = {
        "locked": User.objects.filter(locked_at__isnull=False)
        .select_related("organization")
        .order_by("username"),
        "accounts": listed[:PAGE_SIZE],
        "more": len(listed) > PAGE_SIZE,
        "query": query,
        # Accounts are not one program's: times are on the administrator's programs' clock.
        "zone": reader_zone(request.user),
    }
    return render(request, "programs/accounts.html", context)


def _unlock(request: HttpRequest) -> HttpResponse:
    user_id = str(request.POST.get("user", ""))
    if not user_id.isdigit():
        raise Http404("No such locked user")
    user = get_object_or_404(User, pk=int(user_id))
    if user.locked_at is None:
        # Unlocked already (a second press, or another administrator).
        messages.info(request, f"{user.get_username()} is not locked.")
    else:
        try:
            unlock_user(actor_for(request), user)
        except ActionError as exc:
            raise Http404("No such locked user") from exc
        messages.success(request, f"{user.get_username()} can sign in again.")
    back = request.POST.get("next") == "account"
    return redirect("account", user_id=user.pk) if back else redirect("admin-users")


@login_required
@require_http_methods(["GET", "POST"])
def new_account(request: HttpRequest) -> HttpResponse:
    """An account made once: the same form sent again shows the account it made."""
    _require_admin(request)
    if request.method != "POST":
        return _new_page(request, AccountForm())
    earlier = form_tokens.already_saved(request, form_tokens.Kind.ACCOUNT)
    if earlier is not None:
        return earlier
    form = AccountForm(request.POST)
    if not form.is_valid():
        return _new_page(request, form, status=422)
    data = form.cleaned_data

    def save() -> HttpResponse:
        user, given = create_user_with_setup_code(
            actor_for(request),
            data["username"].strip(),
            organization=data["organization"].slug,
            role=data["role"],
            password=data["password"],
            programs=[program.slug for program in data["programs"]],
            display_name=data["display_name"].strip(),
        )
        _show_setup_code_once(request, user, given)
        messages.success(
            request,
            f"Account {user.username} made. Give them their first password and the set-up "
            "code below: they need both to set up their authenticator app at their first "
            "sign-in.",
        )
        return HttpResponseRedirect(reverse("account", args=[user.pk]))

    try:
        return form_tokens.save_once(request, form_tokens.Kind.ACCOUNT, save)
    except ActionError as exc:
        add_action_errors(form, exc, renamed={"org": "organization"})
        return _new_page(request, form, status=422)


def _new_page(request: HttpRequest, form: AccountForm, status: int = 200) -> HttpResponse:
    return render(request, "programs/account_new.html", {"form": form}, status=status)


def _show_setup_code_once(request: HttpRequest, user: User, given: SetupCode) -> None:
    request.session[SHOWN_SETUP_CODE] = {
        "user": user.pk,
        "code": given.code,
        "expires_at": given.expires_at.isoformat(),
    }


def _setup_code_to_show(request: HttpRequest, user: User) -> dict[str, Any] | None:
    """The set-up code just given to this account, taken from the session: shown once."""
    kept = request.session.get(SHOWN_SETUP_CODE)
    if not isinstance(kept, dict) or kept.get("user") != user.pk:
        return None
    del request.session[SHOWN_SETUP_CODE]
    return {"code": kept["code"], "expires_at": dt.datetime.fromisoformat(kept["expires_at"])}


@login_required
@require_GET
def account(request: HttpRequest, user_id: int) -> HttpResponse:
    _require_admin(request)
    return _account_page(request, get_object_or_404(_with_memberships(), pk=user_id))


def _account_page(
    request: HttpRequest,
    user: User,
    *,
    role_form: RoleForm | None = None,
    disable_form: DisableForm | None = None,
    password_form: NewPasswordForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The account's page; `role_form`, sent back, stands in for the form it came from: the
    row of the program it names when it changed a role there, else "Add to a program"."""
    roles = getattr(user, "roles", None)
    if roles is None:
        roles = list(
            user.memberships.filter(active=True).select_related("program").order_by("program")
        )
    changed = _changed_row(role_form, roles)
    rows = [
        {
            "membership": m,
            "form": _row_form(role_form, m)
            if m == changed
            else RoleForm(
                initial={"program": m.program, "role": m.role, "version": m.version},
                auto_id=f"id_m{m.pk}_%s",
            ),
        }
        for m in roles
    ]
    context = {
        "account": user,
        "role_label": label("role", user.role),
        "rows": rows,
        "role_form": role_form if role_form is not None and changed is None else None,
        "add_form": _add_form(roles, user, role_form if changed is None else None),
        "disable_form": disable_form or DisableForm(),
        "password_form": password_form or NewPasswordForm(user),
        "is_self": user.pk == request.user.pk,
        "zone": reader_zone(request.user),
        "setup_code": _setup_code_to_show(request, user),
        "setup_code_expired": user.mfa_setup_code_expires_at is not None
        and user.mfa_setup_code_expires_at <= timezone.now(),
    }
    response = render(request, "programs/account.html", context, status=status)
    if context["setup_code"] is not None:
        # The code is on this page only: no cache keeps it.
        add_never_cache_headers(response)
    return response


def _changed_row(role_form: RoleForm | None, roles: list[Membership]) -> Membership | None:
    """The role the sent-back form changed (it carries the version of a row), if any."""
    if role_form is None or not str(role_form.data.get("version") or "").strip():
        return None
    program = str(role_form.data.get("program") or "")
    return next((m for m in roles if str(m.program_id) == program), None)


def _row_form(role_form: RoleForm | None, membership: Membership) -> RoleForm:
    """A row's form sent back: what was chosen, its errors, and the role's version now."""
    # One value per field: unpacking the posted QueryDict itself would give lists.
    sent = dict(role_form.data.items()) if role_form is not None else {}
    data = {**sent, "version": str(membership.version)}
    form = RoleForm(data, auto_id=f"id_m{membership.pk}_%s")
    form.is_valid()
    for error in role_form.non_field_errors() if role_form is not None else []:
        form.add_error(None, error)
    return form


def _add_form(roles: list[Membership], user: User, sent: RoleForm | None = None) -> RoleForm:
    """ "Add to a program", offering only the programs the account is not in: a change of
    role in one it is in is made on that program's own row."""
    form = sent or RoleForm(initial={"role": user.role})
    program = form.fields["program"]
    if isinstance(program, forms.ModelChoiceField):
        program.queryset = Program.objects.exclude(pk__in=[m.program_id for m in roles]).order_by(
            "name"
        )
    return form


def _target(user_id: int) -> User:
    return get_object_or_404(_with_memberships(), pk=user_id)


@login_required
@require_POST
def account_role(request: HttpRequest, user_id: int) -> HttpResponse:
    """Give the account a role in a program, or change the one it has there."""
    _require_admin(request)
    user = _target(user_id)
    if user.is_superuser:
        messages.error(request, ADMIN_EVERYWHERE)
        return redirect("account", user_id=user.pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        return _account_page(request, user, role_form=form, status=422)
    program, role = form.cleaned_data["program"], Role(form.cleaned_data["role"])
    version = form.cleaned_data["version"]
    if version is None:
        # "Add to a program" was drawn over no role there: a role another administrator
        # gave meanwhile is shown, not overwritten (no stored role has version 0). A role
        # taken away before is given again over the row kept for it.
        held = Membership.objects.filter(user=user, program=program).first()
        if held is not None:
            version = 0 if held.active else held.version
    try:
        grant_role(actor_for(request), user, program, role, expected_version=version)
    except StaleVersion:
        held = Membership.objects.filter(user=user, program=program, active=True).first()
        if held is not None and held.role == role.value:
            messages.info(request, f"{user.username} is {label('role', role)} in it already.")
            return redirect("account", user_id=user.pk)
        now = (
            f"it is now {label('role', held.role)}"
            if held is not None
            else f"{user.username} is no longer in {program.name}"
        )
        form.add_error(
            None, f"Someone changed this role while you were looking: {now}. Check it below."
        )
        return _account_page(request, _target(user_id), role_form=form, status=409)
    messages.success(request, f"{user.username}: {label('role', role)} in {program.name}.")
    return redirect("account", user_id=user.pk)


@login_required
@require_POST
def account_remove(request: HttpRequest, user_id: int, membership_id: int) -> HttpResponse:
    """The account no longer acts in one program."""
    _require_admin(request)
    user = _target(user_id)
    if user.is_superuser:
        messages.error(request, ADMIN_EVERYWHERE)
        return redirect("account", user_id=user.pk)
    membership = get_object_or_404(
        Membership.objects.select_related("program", "user"), pk=membership_id, user=user
    )
    version = str(request.POST.get("version") or "")
    try:
        revoke_role(
            actor_for(request),
            membership,
            expected_version=int(version) if version.isdigit() else 0,
        )
    except StaleVersion:
        membership.refresh_from_db()
        if not membership.active:
            messages.info(request, f"{user.username} is no longer in {membership.program.name}.")
        else:
            messages.error(request, "Someone changed this role while you were looking: check it.")
    except ActionError as exc:
        messages.error(request, " ".join(m for ms in exc.errors.values() for m in ms))
    else:
        messages.success(request, f"{user.username} no longer acts in {membership.program.name}.")
    return redirect("account", user_id=user.pk)


@login_required
@require_POST
def account_disable(request: HttpRequest, user_id: int) -> HttpResponse:
    """Stop the account signing in: its sessions end and its API tokens are revoked."""
    _require_admin(request)
    user = _target(user_id)
    form = DisableForm(request.POST)
    if not user.is_active:
        messages.info(request, f"{user.username} is disabled already.")
        return redirect("account", user_id=user.pk)
    if not form.is_valid():
        return _account_page(request, user, disable_form=form, status=422)
    try:
        done = disable_user(actor_for(request), user, form.cleaned_data["reason"])
    except ActionError as exc:
        add_action_errors(form, exc)
        return _account_page(request, user, disable_form=form, status=422)
    messages.success(
        request,
        f"{user.username} can no longer sign in: {done.sessions_ended} session(s) ended, "
        f"{done.tokens_revoked} API token(s) revoked.",
    )
    return redirect("account", user_id=user.pk)


@login_required
@require_POST
def account_enable(request: HttpRequest, user_id: int) -> HttpResponse:
    _require_admin(request)
    user = _target(user_id)
    if user.is_active:
        messages.info(request, f"{user.username} can sign in already.")
    else:
        enable_user(actor_for(request), user)
        messages.success(request, f"{user.username} can sign in again.")
    return redirect("account", user_id=user.pk)


@login_required
@require_POST
def account_reset_mfa(request: HttpRequest, user_id: int) -> HttpResponse:
    """A lost phone: the account's authenticator is cleared, its sessions end and its API
    tokens are revoked, and the administrator is shown a one-time set-up code to hand over;
    with it the user sets up a new one at sign-in."""
    _require_admin(request)
    user = _target(user_id)
    earlier = form_tokens.already_saved(request, form_tokens.Kind.MFA_RESET, RESET_ALREADY_DONE)
    if earlier is not None:
        _show_given_setup_code_again(request, user)
        return earlier

    def save() -> HttpResponse:
        done = reset_mfa(actor_for(request), user)
        _show_setup_code_once(request, user, done.setup_code)
        token = form_tokens.posted_token(request)
        if token is not None:
            request.session[GIVEN_SETUP_CODE] = {
                **request.session[SHOWN_SETUP_CODE],
                "token": token,
            }
        messages.success(
            request,
            f"{user.username} is signed out everywhere and {done.tokens_revoked} API token(s) "
            "revoked. Give them the set-up code below, by phone or in person: they need it, "
            "after their password, to set up their authenticator app again.",
        )
        return HttpResponseRedirect(reverse("account", args=[user.pk]))

    try:
        return form_tokens.save_once(
            request, form_tokens.Kind.MFA_RESET, save, notice=RESET_ALREADY_DONE
        )
    except form_tokens.FormTokenRefused as refused:
        messages.error(request, str(refused))
        return redirect("account", user_id=user.pk)


def _show_given_setup_code_again(request: HttpRequest, user: User) -> None:
    """Show again the code the reset sent with this form token gave, while it still stands:
    not yet used, replaced or expired (the account keeps its digest until then)."""
    given = request.session.get(GIVEN_SETUP_CODE)
    if not isinstance(given, dict) or given.get("token") != form_tokens.posted_token(request):
        return
    user.refresh_from_db(fields=["mfa_setup_code", "mfa_setup_code_expires_at"])
    expires_at = dt.datetime.fromisoformat(given["expires_at"])
    if (
        given.get("user") == user.pk
        and user.mfa_setup_code == setup_code_digest(given["code"])
        and expires_at > timezone.now()
    ):
        _show_setup_code_once(request, user, SetupCode(given["code"], expires_at))
    else:
        # Spent, replaced or expired: nothing left worth keeping.
        del request.session[GIVEN_SETUP_CODE]


@sensitive_post_parameters("new_password1", "new_password2")
@login_required
@require_POST
def account_password(request: HttpRequest, user_id: int) -> HttpResponse:
    """A new password the administrator gives the user themself (one forgotten, or one
    someone else may know): every session of theirs ends and every API token of theirs is
    revoked. Saved once per drawn form."""
    _require_admin(request)
    user = _target(user_id)
    if user.pk == request.user.pk:
        # One's own needs the password one has now, on the page the menu leads to.
        messages.info(request, "Change your own password here: it asks for the one you have.")
        return redirect("password-change")
    earlier = form_tokens.already_saved(request, form_tokens.Kind.PASSWORD)
    if earlier is not None:
        return earlier
    form = NewPasswordForm(user, request.POST)
    if not form.is_valid():
        return _account_page(request, user, password_form=form, status=422)
    password = form.cleaned_data["new_password1"]

    def save() -> HttpResponse:
        done = set_password(actor_for(request), user, password, temporary=True)
        said = (
            f"{user.username} has a new password: give it to them yourself. They choose "
            f"their own when they next sign in. {done.sessions_ended} session(s) ended."
        )
        if done.tokens_revoked:
            said += f" {done.tokens_revoked} API token(s) revoked."
        messages.success(request, said)
        return HttpResponseRedirect(reverse("account", args=[user.pk]))

    try:
        return form_tokens.save_once(request, form_tokens.Kind.PASSWORD, save)
    except ActionError as exc:
        add_action_errors(form, exc, renamed={"password": "new_password1"})
        return _account_page(request, user, password_form=form, status=422)
