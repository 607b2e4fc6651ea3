from django.apps import AppConfig


class CoverageConfig(AppConfig):
    name = "coverage"
    verbose_name = "Coverage"

    def ready(self) -> None:
        from .sweep import register  # the worker loop's jobs (importing models needs the registry)

        register()
