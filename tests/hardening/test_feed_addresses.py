"""Feed addresses may not reach inside: refused when entered, and again at every fetch and redirect.

Everything runs against a real local HTTP server on 127.0.0.1 (pytest-httpserver).
A process audit hook watches every socket the code opens while a test runs: a
connection to anything but 127.0.0.1, or a name lookup of anything but
``localhost``, is stopped before it leaves (so these tests never send traffic
elsewhere, even on code that does not check addresses) and fails the test.
"""

from __future__ import annotations

import ipaddress
import sys
from urllib.parse import urlsplit

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from werkzeug import Response

from connections.models import CollectionRun, Condition, Connection
from connections.services import ConnectionError_, add_connection
from coverage.models import AcquisitionBatch, Record
from coverage.pipeline.pull import pull
from tests.live.conftest import FEED_PATH, ical

pytestmark = pytest.mark.django_db

REFUSED = "This address points inside a private network; Ownerhub only fetches public calendar addresses."
INSIDE = [
    "http://127.0.0.1:{port}/cal.ics",
    "http://localhost:{port}/cal.ics",
    "http://10.20.30.40/cal.ics",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:{port}/cal.ics",
    "http://[::ffff:127.0.0.1]:{port}/cal.ics",
    "webcal://127.0.0.1:{port}/cal.ics",
    "http://2130706433:{port}/cal.ics",
    "http://127.1:{port}/cal.ics",
]
IDS = ["loopback", "localhost", "private-10", "link-local-metadata", "ipv6-loopback", "ipv4-mapped", "webcal",
       "loopback-as-one-number", "loopback-shortened"]
# Numeric host forms the C resolver reads as an address itself, with no query sent.
NUMERIC_HOSTS = {"2130706433", "127.1"}


# ---------------------------------------------------------------- the network watch


class Watch:
    """What the code under test tried on the network while a test ran."""

    def __init__(self):
        self.connects: list[str] = []
        self.lookups: list[str] = []
        self.stopped: list[str] = []


_WATCH: list[Watch] = []


def _literal(host) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _audit(event: str, args) -> None:
    if not _WATCH:
        return
    watch = _WATCH[-1]
    if event == "socket.connect":
        address = args[1]
        if not isinstance(address, tuple):
            return  # a Unix socket (the PostgreSQL driver does not use Python sockets)
        watch.connects.append(address[0])
        if address[0] != "127.0.0.1":
            watch.stopped.append(f"connect {address[0]}")
            raise ConnectionRefusedError(f"test watch: no traffic to {address[0]}")
    elif event == "socket.getaddrinfo":
        host = args[0].decode() if isinstance(args[0], bytes) else args[0]
        if host is None or _literal(host) or host in NUMERIC_HOSTS:
            return
        watch.lookups.append(host)
        if host != "localhost":
            watch.stopped.append(f"lookup {host}")
            raise OSError(f"test watch: no name lookup of {host}")


sys.addaudithook(_audit)


@pytest.fixture
def net():
    watch = Watch()
    _WATCH.append(watch)
    yield watch
    _WATCH.remove(watch)
    assert watch.stopped == [], f"the code tried to reach outside 127.0.0.1: {watch.stopped}"


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def served(httpserver):
    """A calendar on the local server; the secret event is what an inside address would leak."""
    httpserver.expect_request(FEED_PATH).respond_with_data(ical("calendar.ics"), content_type="text/calendar")
    httpserver.expect_request("/cal.ics").respond_with_data(ical("calendar.ics"), content_type="text/calendar")
    return httpserver


def saved_feed(owner, url: str) -> Connection:
    """A calendar whose address was stored before addresses were checked (or changed behind the form)."""
    return Connection.objects.create(owner=owner, connector="ical_feed", slug="cal", name="Calendar",
                                     schedule_policy="interval", interval_seconds=3600,
                                     next_due_at=timezone.now(), feed_url=url)


def requests_seen(httpserver) -> list[str]:
    return [request.path for request, _ in httpserver.log]


# ---------------------------------------------------------------- when the address is entered


@pytest.mark.parametrize("template", INSIDE, ids=IDS)
def test_an_inside_address_is_refused_on_the_source_page(owner, client, served, net, template):
    saved_feed(owner, "https://calendar.example.org/old.ics")
    client.force_login(owner)
    url = template.format(port=served.port)
    page = client.post("/sources/cal/feed/", {"feed_url": url}, follow=True).content.decode()
    assert REFUSED in page and "Nothing was changed" in page
    assert Connection.objects.get(slug="cal").feed_url == "https://calendar.example.org/old.ics"
    assert net.connects == [] and requests_seen(served) == []


@pytest.mark.parametrize("template", INSIDE, ids=IDS)
def test_an_inside_address_is_refused_when_adding_a_calendar(owner, client, served, net, template):
    client.force_login(owner)
    url = template.format(port=served.port)
    response = client.post("/sources/new/ical_feed/", {"name": "Work", "feed_url": url})
    assert response.status_code == 400 and REFUSED in response.content.decode()
    assert not Connection.objects.exists()
    assert net.connects == []


@pytest.mark.parametrize("template", INSIDE, ids=IDS)
def test_add_connection_command_refuses_an_inside_address(owner, served, net, template):
    url = template.format(port=served.port)
    with pytest.raises(CommandError, match="points inside a private network"):
        call_command("add_connection", "ical_feed", "work", "--name", "Work", "--owner", "ada", "--feed-url", url)
    assert not Connection.objects.exists()
    assert net.connects == []


@pytest.mark.parametrize("host", [
    "192.168.1.1", "172.16.0.1", "100.64.0.1", "0.0.0.0", "224.0.0.1", "240.0.0.1", "255.255.255.255",
    "[fd00::1]", "[fe80::1]", "[fec0::1]", "[ff02::1]", "[::]", "[::ffff:10.0.0.1]", "[64:ff9b::a00:1]",
])
def test_every_kind_of_inside_address_is_refused_when_entered(owner, net, host):
    with pytest.raises(ConnectionError_, match="points inside a private network"):
        add_connection(owner, "ical_feed", "cal", "Calendar", feed_url=f"https://{host}/cal.ics")
    assert net.connects == []


@pytest.mark.parametrize("host", ["93.184.216.34", "[2606:4700::1111]", "[::ffff:8.8.8.8]", "[64:ff9b::808:808]"])
def test_a_public_address_is_accepted_when_entered(owner, net, host):
    calendar = add_connection(owner, "ical_feed", "cal", "Calendar", feed_url=f"https://{host}/cal.ics")
    assert calendar.feed_url == f"https://{host}/cal.ics"
    assert net.connects == []


# ---------------------------------------------------------------- at every fetch


@pytest.mark.parametrize("template", INSIDE, ids=IDS)
def test_a_stored_inside_address_is_refused_at_fetch_before_connecting(owner, served, net, template):
    calendar = saved_feed(owner, template.format(port=served.port))
    run = pull(calendar, timezone.now())
    assert (run.outcome, run.error_class, run.message) == ("failure", "internal_address", REFUSED)
    assert net.connects == [], "the check happens before any connection"
    assert requests_seen(served) == []
    assert not AcquisitionBatch.objects.exists() and not Record.objects.exists()
    # The owner is asked for another address; there is no retry loop against it.
    credential = Condition.objects.get(connection=calendar, type="credential", superseded_at__isnull=True)
    assert (credential.status, credential.reason) == ("rejected", "internal_address")


def test_a_name_that_resolves_to_loopback_is_refused_after_resolving_it(owner, served, net):
    calendar = saved_feed(owner, served.url_for("/cal.ics"))
    assert urlsplit(calendar.feed_url).hostname == "localhost"
    run = pull(calendar, timezone.now())
    assert (run.error_class, run.message) == ("internal_address", REFUSED)
    assert net.lookups == ["localhost"] and net.connects == []


def test_a_feed_that_redirects_inside_is_refused_at_the_redirect(owner, httpserver, net, settings):
    settings.OWNERHUB_FEED_ALLOWED_HOSTS = ["localhost"]  # the installation trusts this name, not 127.0.0.1
    inside = f"http://127.0.0.1:{httpserver.port}/admin/secret.ics"
    httpserver.expect_request("/cal.ics").respond_with_response(Response(status=302, headers={"Location": inside}))
    httpserver.expect_request("/admin/secret.ics").respond_with_data(
        ical("calendar.ics"), content_type="text/calendar")
    calendar = saved_feed(owner, httpserver.url_for("/cal.ics"))
    run = pull(calendar, timezone.now())
    assert (run.outcome, run.error_class) == ("failure", "internal_address")
    assert run.message == ("The feed sent Ownerhub on to an address inside a private network; "
                           "Ownerhub only fetches public calendar addresses.")
    assert requests_seen(httpserver) == ["/cal.ics"], "the inside address is never asked"
    assert not AcquisitionBatch.objects.exists() and not Record.objects.exists()
    assert "127.0.0.1" not in run.message and "secret" not in run.message


def test_redirects_are_followed_hop_by_hop_up_to_a_cap(owner, httpserver, net, settings):
    settings.OWNERHUB_FEED_ALLOWED_HOSTS = ["localhost"]
    httpserver.expect_request("/loop.ics").respond_with_response(
        Response(status=302, headers={"Location": "/loop.ics"}))
    calendar = saved_feed(owner, httpserver.url_for("/loop.ics"))
    run = pull(calendar, timezone.now())
    assert (run.outcome, run.error_class) == ("failure", "too_many_redirects")
    assert run.message == "The feed sent Ownerhub on more than 5 times without an answer."
    assert requests_seen(httpserver) == ["/loop.ics"] * 6


def test_a_redirect_within_an_allowed_host_is_followed(owner, httpserver, net, settings):
    settings.OWNERHUB_FEED_ALLOWED_HOSTS = ["localhost"]
    httpserver.expect_request("/old.ics").respond_with_response(Response(status=301, headers={"Location": "/cal.ics"}))
    httpserver.expect_request("/cal.ics").respond_with_data(ical("calendar.ics"), content_type="text/calendar")
    run = pull(saved_feed(owner, httpserver.url_for("/old.ics")), timezone.now())
    assert (run.outcome, run.records) == ("success", 14)  # the daily stand-up: an event a day (ical/3)
    assert requests_seen(httpserver) == ["/old.ics", "/cal.ics"]


def test_a_redirect_to_another_kind_of_address_is_refused(owner, httpserver, net, settings):
    settings.OWNERHUB_FEED_ALLOWED_HOSTS = ["localhost"]
    httpserver.expect_request("/cal.ics").respond_with_response(
        Response(status=302, headers={"Location": "file:///etc/passwd"}))
    run = pull(saved_feed(owner, httpserver.url_for("/cal.ics")), timezone.now())
    assert (run.outcome, run.error_class) == ("failure", "bad_redirect")
    assert not Record.objects.exists()


def test_the_fetch_connects_to_the_address_it_checked(owner, served, net, settings):
    """One lookup per hop, and the connection goes to the address that lookup gave: no second lookup to rebind."""
    settings.OWNERHUB_FEED_ALLOWED_HOSTS = ["127.0.0.0/8"]
    run = pull(saved_feed(owner, served.url_for("/cal.ics")), timezone.now())
    assert run.outcome == "success"
    assert net.lookups == ["localhost"] and net.connects == ["127.0.0.1"]


# ---------------------------------------------------------------- the installation's allow list


def test_an_allowed_internal_address_is_accepted_and_fetched(owner, client, served, net, settings):
    settings.OWNERHUB_FEED_ALLOWED_HOSTS = ["calendar.lan", "127.0.0.1"]
    saved_feed(owner, "https://calendar.example.org/old.ics")
    client.force_login(owner)
    url = f"http://127.0.0.1:{served.port}/cal.ics"
    page = client.post("/sources/cal/feed/", {"feed_url": url}, follow=True).content.decode()
    assert "Feed address saved" in page
    calendar = Connection.objects.get(slug="cal")
    run = pull(calendar, timezone.now())
    assert (run.outcome, run.records) == ("success", 14)  # the daily stand-up: an event a day (ical/3)
    assert net.connects == ["127.0.0.1", "127.0.0.1"]  # the test before saving, then the pull


def test_a_domain_in_the_allow_list_allows_it_and_its_subdomains(owner, net, settings):
    settings.OWNERHUB_FEED_ALLOWED_HOSTS = "calendar.lan, .localhost"
    for name, url in [("a", "http://localhost/a.ics"), ("b", "http://family.localhost/b.ics"),
                      ("c", "http://calendar.lan/c.ics")]:
        add_connection(owner, "ical_feed", name, name, feed_url=url)
    assert net.lookups == [], "an allowed name is not looked up when entered"
    settings.OWNERHUB_FEED_ALLOWED_HOSTS = ".lan"
    with pytest.raises(ConnectionError_, match="points inside a private network"):
        add_connection(owner, "ical_feed", "d", "d", feed_url="http://localhost/d.ics")


def test_allowing_one_name_allows_nothing_else_inside(owner, client, served, net, settings):
    settings.OWNERHUB_FEED_ALLOWED_HOSTS = "localhost"  # a string, as the environment gives it
    client.force_login(owner)
    ok = client.post("/sources/new/ical_feed/", {"name": "Home", "feed_url": served.url_for("/cal.ics")})
    assert ok.status_code == 302
    refused = client.post("/sources/new/ical_feed/",
                          {"name": "Other", "feed_url": f"http://127.0.0.1:{served.port}/cal.ics"})
    assert refused.status_code == 400 and REFUSED in refused.content.decode()
    assert list(Connection.objects.values_list("name", flat=True)) == ["Home"]
    assert CollectionRun.objects.count() == 0 and net.connects == []
