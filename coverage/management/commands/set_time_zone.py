"""manage.py set_time_zone ZONE --owner USERNAME [--reread]: the owner's time zone (an IANA name).

With ``--reread`` the owner's sources whose exports write no zone (``connections.zoneless``: chats,
and the day summaries of Health exports) are read again in the new zone: their times move, nothing is duplicated, and a receipt of
each import read again is printed.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from connections.account import UnknownZone, set_time_zone
from coverage.management.commands.reread import print_rereads
from coverage.pipeline.reread import reread_imports
from coverage.pipeline.reread_which import zone_imports


class Command(BaseCommand):
    help = ("Set the owner's time zone: dates are shown in it, and chat exports (no zone written) and the daily "
            "activity summaries of Health exports (a day, no zone) are read in it.")

    def add_arguments(self, parser):
        parser.add_argument("zone", help="an IANA time zone, e.g. Pacific/Auckland")
        parser.add_argument("--owner", required=True, help="username")
        parser.add_argument(
            "--reread", action="store_true", help="read the chats and Health exports (days and times without a zone) again in the new zone"
        )

    def handle(self, *args, zone, owner, reread=False, **options):
        user = get_user_model().objects.filter(username=owner).first()
        if user is None:
            raise CommandError(f"No owner called {owner!r}.")
        try:
            profile = set_time_zone(user, zone)
        except UnknownZone as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Times for {owner} are now shown in {profile.zone_name}.")
        if not reread:
            return
        olds = zone_imports(user, profile.zone_name)
        if not olds:
            self.stdout.write("No chat or Health export needs reading again: every one was read in this zone.")
            return
        self.stdout.write(f"Read again in {profile.zone_name}:")
        print_rereads(self.stdout, reread_imports(olds, zone=profile.zone_name), olds, done=True)
