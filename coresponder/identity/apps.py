from django.apps import AppConfig
from django.conf import settings

from coresponder.domain.linkage import use_placeholder_names


def use_deployment_placeholder_names() -> None:
    """The deployment's placeholder names (LINKAGE_PLACEHOLDER_NAMES) into the linkage rules."""
    use_placeholder_names(getattr(settings, "LINKAGE_PLACEHOLDER_NAMES", []))


class IdentityConfig(AppConfig):
    name = "coresponder.identity"
    label = "identity"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        use_deployment_placeholder_names()
