from django.apps import AppConfig


class ExportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "exports"

    def ready(self) -> None:
        # The worker loop's job (the recovery module imports models: it needs the registry).
        from .recovery import register

        register()
