from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "coresponder.programs"
    label = "programs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from coresponder.programs.signin import stamp_sign_in

        user_logged_in.connect(stamp_sign_in, dispatch_uid="coresponder-stamp-sign-in")
