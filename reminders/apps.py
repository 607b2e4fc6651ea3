"""The reminder digest: one message per owner per day about what changed (issue 14)."""
from datetime import timedelta

from django.apps import AppConfig

CHECK_EVERY = timedelta(minutes=15)  # how often the worker looks for due digests


class RemindersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reminders"

    def ready(self) -> None:
        # Standard for ready(): the models these import exist only once the registry is ready.
        from connections.runtime import every_round

        from .digest import send_due_digests

        last: list = []

        def digests(now):
            # Every worker round calls this; digests are looked for every CHECK_EVERY.
            if last and now - last[0] < CHECK_EVERY:
                return None
            last[:] = [now]
            return send_due_digests(now)

        every_round("reminders.digests", digests)
