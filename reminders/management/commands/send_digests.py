"""``manage.py send_digests``: send every owner's reminder digest that is due (the worker does it too)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from reminders.digest import send_due_digests


class Command(BaseCommand):
    help = "Send the reminder digest to every owner whose sources changed (at most once a day each)."

    def handle(self, *args, **options):
        sent = send_due_digests()
        self.stdout.write(f"Sent {sent} digest{'' if sent == 1 else 's'}.")
