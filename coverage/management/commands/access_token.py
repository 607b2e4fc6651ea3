"""manage.py access_token --owner USERNAME [--name NAME] | --revoke HINT: personal access tokens for the owner API."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from connections.models import AccessToken
from coverage.services import issue_access_token, revoke_access_token


class Command(BaseCommand):
    help = "Create a personal access token for the owner API (printed once), or revoke one by its last characters."

    def add_arguments(self, parser):
        parser.add_argument("--owner", required=True, help="username")
        parser.add_argument("--name", default="script", help="what the token is for")
        parser.add_argument(
            "--revoke", metavar="HINT", help="revoke the live token ending in HINT (write --revoke=HINT if it starts with -)"
        )

    def handle(self, *args, owner, name, revoke, **options):
        user = get_user_model().objects.filter(username=owner).first()
        if user is None:
            raise CommandError(f"No owner called {owner!r}.")
        if revoke:
            tokens = list(AccessToken.objects.live().filter(owner=user, hint=revoke))
            if len(tokens) != 1:
                raise CommandError(f"{len(tokens)} live tokens end in {revoke!r}; nothing was revoked.")
            revoke_access_token(tokens[0])
            self.stdout.write(f"Revoked {tokens[0].name!r} (…{revoke}).")
            return
        token, secret = issue_access_token(user, name)
        self.stderr.write(f"Token {name!r} for {owner}; it is shown only now. Use: Authorization: Bearer <token>")
        self.stdout.write(secret)
