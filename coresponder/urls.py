from django.urls import include, path

from coresponder.api import api
from coresponder.operations import views as operations_views
from coresponder.outreach import sla_views
from coresponder.people.diverted import diverted_list
from coresponder.privacy import views as privacy_views
from coresponder.programs import account_views, password_views, shift_urls, signin_views
from coresponder.programs import views as program_views

urlpatterns = [
    path("healthz", program_views.healthz, name="healthz"),
    path("readyz", operations_views.readyz, name="readyz"),
    path("api/v1/", api.urls),
    path("accounts/login/", signin_views.password_step, name="login"),
    path("accounts/mfa/", signin_views.code_step, name="mfa"),
    path("accounts/mfa/enrol/", signin_views.enrol_step, name="mfa-enrol"),
    path("accounts/mfa/setup-code/", signin_views.setup_code_step, name="mfa-setup-code"),
    path("accounts/logout/", signin_views.SignOutView.as_view(), name="logout"),
    path("accounts/password/", password_views.password_change, name="password-change"),
    path("accounts/stay/", signin_views.stay_signed_in, name="stay-signed-in"),
    path("", program_views.home, name="home"),
    path("people/matches/", include("coresponder.identity.urls")),
    path("people/", include("coresponder.people.urls")),
    path("", include("coresponder.care.urls")),
    path("intake/import/", include("coresponder.intake.import_urls")),
    path("", include("coresponder.privacy.consent_urls")),
    path("", include("coresponder.intake.public_urls")),
    path("", include("coresponder.services.urls")),
    path("programs/switch", program_views.switch_program, name="program-switch"),
    path("programs/<slug:slug>/referrals/", include("coresponder.intake.urls")),
    path("programs/<slug:slug>/outreach/", include("coresponder.outreach.urls")),
    path("programs/<slug:slug>/encounters/", include("coresponder.encounters.urls")),
    path("programs/<slug:slug>/sla/", include("coresponder.outreach.sla_urls")),
    path("programs/<slug:slug>/nemsis/", include("coresponder.feeds.urls")),
    path("programs/<slug:slug>/planning/", include("coresponder.planning.urls")),
    path("", include("coresponder.reports.public_urls")),
    path("programs/<slug:slug>/teams/", include("coresponder.programs.shift_urls")),
    path("programs/<slug:slug>/services/", include("coresponder.services.directory_urls")),
    path("programs/<slug:slug>/exports/", include("coresponder.reports.export_urls")),
    path("programs/<slug:slug>/legal-holds/", include("coresponder.operations.retention.urls")),
    path("calendar/", include(shift_urls.calendar_urlpatterns)),
    path("programs/<slug:slug>/diverted/", diverted_list, name="diverted-list"),
    path("programs/<slug:slug>/spikes/", include("coresponder.surveillance.urls")),
    path("programs/<slug:slug>/", program_views.program_home, name="program-home"),
    path("admin-users/", account_views.accounts, name="admin-users"),
    path("admin-users/new", account_views.new_account, name="account-new"),
    path("admin-users/<int:user_id>/", account_views.account, name="account"),
    path("admin-users/<int:user_id>/role", account_views.account_role, name="account-role"),
    path(
        "admin-users/<int:user_id>/roles/<int:membership_id>/remove",
        account_views.account_remove,
        name="account-remove",
    ),
    path(
        "admin-users/<int:user_id>/disable", account_views.account_disable, name="account-disable"
    ),
    path("admin-users/<int:user_id>/enable", account_views.account_enable, name="account-enable"),
    path(
        "admin-users/<int:user_id>/reset-mfa",
        account_views.account_reset_mfa,
        name="account-reset-mfa",
    ),
    path(
        "admin-users/<int:user_id>/password",
        account_views.account_password,
        name="account-password",
    ),
    path("audit/", privacy_views.audit_log, name="audit-log"),
    path("audit/export.csv", privacy_views.audit_export, name="audit-export"),
    path("notices/", sla_views.notices, name="notices"),
]
