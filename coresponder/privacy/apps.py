from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "coresponder.privacy"
    label = "privacy"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from coresponder.privacy import (
            signals,  # noqa: F401 - connects the audit receivers
            tokens,  # noqa: F401 - forgets token checks on changes
        )
