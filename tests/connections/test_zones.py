"""The owner's zone is decided in one place: the profile's zone, else the installation's, else UTC."""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

import pytest

from connections.zones import owner_zone, zone_named
from tests.factories import OwnerFactory, OwnerProfileFactory

pytestmark = pytest.mark.django_db

ZONES = [
    # (scenario, the profile's zone or None for no profile, the installation's zone, the zone used)
    ("the owner chose a zone", "Pacific/Auckland", "Europe/Lisbon", ZoneInfo("Pacific/Auckland")),
    ("the owner chose none", "", "Europe/Lisbon", ZoneInfo("Europe/Lisbon")),
    ("no profile yet", None, "America/Los_Angeles", ZoneInfo("America/Los_Angeles")),
    ("a zone the zone database no longer knows", "Mars/Olympus_Mons", "Asia/Kathmandu", ZoneInfo("Asia/Kathmandu")),
    ("the installation's zone is unknown too", "Mars/Olympus_Mons", "Nowhere/At_All", UTC),
]


@pytest.mark.parametrize(("chosen", "installed", "used"), [z[1:] for z in ZONES], ids=[z[0] for z in ZONES])
def test_the_owner_zone_is_the_profile_zone_else_the_installation_zone(settings, chosen, installed, used):
    owner = OwnerFactory()
    if chosen is not None:
        OwnerProfileFactory(owner=owner, time_zone=chosen)
    settings.TIME_ZONE = installed

    assert owner_zone(owner) == used
    assert owner_zone(owner.pk) == used  # by id, as the pipeline asks
    assert zone_named(chosen) == used
