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
        # A visit that learns of a death records it with identity's action, as merges and
        # imports do (identity calls outreach, so outreach cannot call identity back).
        from coresponder.identity.actions import record_death
        from coresponder.outreach.actions import record_deaths_with

        record_deaths_with(record_death)
