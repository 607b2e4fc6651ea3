from django.apps import AppConfig


class CoverageConfig(AppConfig):
    name = "coverage"
    verbose_name = "Coverage"

    def ready(self) -> None:
        # The worker loop's jobs (importing the pipeline imports models: it needs the registry).
        from .pipeline.sweep import register

        register()
