from django.apps import AppConfig


class CoverageConfig(AppConfig):
    name = "coverage"
    verbose_name = "Coverage"

    def ready(self) -> None:
        # The worker loop's jobs (importing the pipeline imports models: it needs the registry).
        from connections.account import zone_changed

        from .pipeline import reread  # noqa: F401 (registers how the worker reads an import read again)
        from .pipeline.sweep import register
        from .pipeline.zone_days import on_zone_changed
        from .pipeline.zone_slots import on_zone_changed as count_in_new_slots

        register()
        zone_changed.connect(on_zone_changed, dispatch_uid="coverage.zone_days")
        zone_changed.connect(count_in_new_slots, dispatch_uid="coverage.zone_slots")
