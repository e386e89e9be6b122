from django.contrib.auth import views as auth_views
from django.urls import path

from coresponder.api import api
from coresponder.programs import views as program_views

urlpatterns = [
    path("healthz", program_views.healthz, name="healthz"),
    path("api/v1/", api.urls),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="programs/login.html"),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", program_views.home, name="home"),
    path("programs/<slug:slug>/", program_views.program_home, name="program-home"),
]
