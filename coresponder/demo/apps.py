from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The synthetic demo: its loader and the commands that load it and sign in as its cast."""

    name = "coresponder.demo"
    label = "demo"
    verbose_name = "Demo"
    default_auto_field = "django.db.models.BigAutoField"
