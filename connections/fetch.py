"""Fetching a feed address without reaching inside: the address rule and the HTTP GET.

An owner may type any address, but Ownerhub fetches only public ones. Refused
unless the installation allows them (``OWNERHUB_FEED_ALLOWED_HOSTS``):
loopback, private, shared (carrier NAT), link-local, unique-local, site-local,
multicast, unspecified, reserved and documentation addresses, their
IPv4-mapped and NAT64 IPv6 forms, and names that resolve to any of them
(``localhost``).

The rule is applied when the address is entered (``check_feed_address``) and
again at every fetch, hop by hop: each host, the first and every redirect's,
is resolved once, every address it resolves to is checked, and the socket is
opened to a checked address itself. A second DNS answer (rebinding) therefore
cannot swap in an inside address between the check and the connection.
Redirects are followed here, not by a library, at most ``MAX_REDIRECTS`` times.
No proxy from the environment is used: a proxy would connect on our behalf to
an address this module never saw.

``OWNERHUB_FEED_ALLOWED_HOSTS`` lists host names (``calendar.lan``; a leading
dot, ``.lan``, allows a domain and its subdomains) and addresses or networks
(``127.0.0.1``, ``192.168.1.0/24``), for owners who self-host their calendars.
An allowed name is fetched wherever it resolves; an allowed address or network
is a destination any name may resolve to.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from urllib.parse import urljoin, urlsplit

from django.conf import settings

MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "Ownerhub feed collector"
_CHUNK = 64 * 1024
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

INSIDE_MESSAGE = "This address points inside a private network; Ownerhub only fetches public calendar addresses."
REDIRECTED_INSIDE_MESSAGE = (
    "The feed sent Ownerhub on to an address inside a private network; "
    "Ownerhub only fetches public calendar addresses."
)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class FeedUrlInvalid(ValueError):
    """A feed address that cannot be used (wrong scheme, no host, inside a private network)."""


class FeedAddressInside(FeedUrlInvalid):
    """A feed address that names or resolves to an inside address the installation does not allow."""

    def __init__(self, message: str = INSIDE_MESSAGE):
        super().__init__(message)


class FetchFailed(Exception):
    """The feed did not answer usefully. ``error_class`` is a short code, ``message`` owner words."""

    def __init__(self, error_class: str, message: str, *, status: int | None = None):
        super().__init__(message)
        self.error_class = error_class
        self.message = message
        self.status = status


@dataclass
class Fetched:
    status: int  # 200 (or another 2xx) or 304
    body: bytes = b""
    etag: str = ""
    last_modified: str = ""
    charset: str | None = None


# ---------------------------------------------------------------- the address rule


def is_inside(address: IPAddress) -> bool:
    """True for an address that is not on the public internet (see the module doc)."""
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return is_inside(address.ipv4_mapped)
        if address in _NAT64:
            return is_inside(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if address.is_site_local:
            return True
    return (not address.is_global or address.is_private or address.is_loopback or address.is_link_local
            or address.is_multicast or address.is_reserved or address.is_unspecified)


@dataclass(frozen=True)
class AllowList:
    names: frozenset[str]
    domains: tuple[str, ...]  # ".lan" allows "lan" and "*.lan"
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]

    def allows_name(self, host: str) -> bool:
        return host in self.names or any(host == d[1:] or host.endswith(d) for d in self.domains)

    def allows_address(self, address: IPAddress) -> bool:
        return any(address.version == n.version and address in n for n in self.networks)


def _host(value: str) -> str:
    return value.strip().lower().strip("[]").rstrip(".")


def allow_list() -> AllowList:
    """The installation's ``OWNERHUB_FEED_ALLOWED_HOSTS`` (a list, or a comma-separated string)."""
    raw = getattr(settings, "OWNERHUB_FEED_ALLOWED_HOSTS", ()) or ()
    items = raw.split(",") if isinstance(raw, str) else raw
    names, domains, networks = set(), [], []
    for item in (_host(i) for i in items):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            if item.startswith("."):
                domains.append(item)
            else:
                names.add(item)
    return AllowList(frozenset(names), tuple(domains), tuple(networks))


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to, in the resolver's order, without repeats."""
    literal = _literal(host)
    if literal is not None:
        return [literal]
    found: list[IPAddress] = []
    for *_, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


def _refused(addresses: list[IPAddress], allowed: AllowList) -> bool:
    return any(is_inside(a) and not allowed.allows_address(a) for a in addresses)


def check_feed_address(url: str) -> None:
    """Raise ``FeedAddressInside`` when ``url``'s host is, or resolves to, an inside address.

    Used when the owner enters the address. A name that does not resolve now is
    accepted: it may be down for a moment, and every fetch checks it again.
    """
    host = _host(urlsplit(url).hostname or "")
    allowed = allow_list()
    if not host or allowed.allows_name(host):
        return
    try:
        addresses = _resolve(host, 443)
    except (OSError, UnicodeError):
        return
    if _refused(addresses, allowed):
        raise FeedAddressInside()


# ---------------------------------------------------------------- one hop


def _connect_to_checked(addresses: list[IPAddress], address: tuple, timeout, source_address=None):
    """``socket.create_connection`` for http.client, to the checked addresses only (never a new lookup)."""
    error: OSError | None = None
    for ip in addresses:
        try:
            return socket.create_connection((str(ip), address[1]), timeout, source_address)
        except OSError as exc:
            error = exc
    raise error or OSError("no address")


def _open_hop(url: str, headers: dict[str, str], deadline: float, *, redirected: bool):
    """Check ``url``'s host, connect to what was checked, send the GET. Returns (connection, response)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise FetchFailed("bad_redirect", "The feed sent Ownerhub on to an address that is not a web address.")
    host = _host(parts.hostname)
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise FetchFailed("network_error", "The feed could not be reached.") from None
    allowed = allow_list()
    try:
        addresses = _resolve(host, port)
    except (OSError, UnicodeError):
        raise FetchFailed("network_error", "The feed could not be reached.") from None
    if not allowed.allows_name(host) and _refused(addresses, allowed):
        raise FetchFailed("internal_address", REDIRECTED_INSIDE_MESSAGE if redirected else INSIDE_MESSAGE)

    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError
    kind = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
    conn = kind(host, port, timeout=remaining)
    connect: Callable = partial(_connect_to_checked, addresses)
    conn._create_connection = connect  # http.client's own hook for opening the socket
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request("GET", target, headers=headers)
        return conn, conn.getresponse()
    except BaseException:
        conn.close()
        raise


def _read(response: http.client.HTTPResponse, deadline: float, timeout: float, max_bytes: int) -> bytes:
    declared = response.getheader("Content-Length")
    too_large = FetchFailed("too_large", f"The feed is larger than {max_bytes // 1024**2} MB.")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    chunks, size = [], 0
    while True:
        if time.monotonic() > deadline:
            raise FetchFailed("timeout", f"The feed did not finish within {timeout:g} s.")
        chunk = response.read(_CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise too_large
        chunks.append(chunk)


# ---------------------------------------------------------------- the fetch


def fetch(url: str, *, etag: str = "", last_modified: str = "", timeout: float = 20,
          max_bytes: int = 20 * 1024**2) -> Fetched:
    """GET ``url`` conditionally, within ``timeout`` seconds overall and ``max_bytes``, hop by hop.

    Raises ``FetchFailed``; its ``internal_address`` says an address (the first
    or a redirect's) was refused before any connection was made to it.
    """
    headers = {"User-Agent": USER_AGENT, "Accept": "text/calendar, */*"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    deadline = time.monotonic() + timeout
    for hop in range(MAX_REDIRECTS + 1):
        try:
            conn, response = _open_hop(url, headers, deadline, redirected=hop > 0)
        except TimeoutError:
            raise FetchFailed("timeout", f"The feed did not answer within {timeout:g} s.") from None
        except (OSError, http.client.HTTPException, ValueError):
            raise FetchFailed("network_error", "The feed could not be reached.") from None
        try:
            status, location = response.status, response.getheader("Location")
            if status in REDIRECT_STATUSES and location:
                url = urljoin(url, location.strip())
                continue
            return _answer(response, status, etag, last_modified, deadline, timeout, max_bytes)
        finally:
            response.close()
            conn.close()
    raise FetchFailed("too_many_redirects", f"The feed sent Ownerhub on more than {MAX_REDIRECTS} times "
                                            "without an answer.")


def _answer(response, status: int, etag: str, last_modified: str, deadline: float, timeout: float,
            max_bytes: int) -> Fetched:
    if status == 304:
        return Fetched(304, etag=response.getheader("ETag") or etag,
                       last_modified=response.getheader("Last-Modified") or last_modified)
    if status in (401, 403):
        raise FetchFailed("credential_rejected", f"The feed refused the address ({status}).", status=status)
    if not 200 <= status < 300:
        kind = "server_error" if status >= 500 else "http_error"
        raise FetchFailed(kind, f"The feed answered {status}.", status=status)
    try:
        body = _read(response, deadline, timeout, max_bytes)
    except TimeoutError:
        raise FetchFailed("timeout", f"The feed did not finish within {timeout:g} s.") from None
    except (OSError, http.client.HTTPException):
        raise FetchFailed("network_error", "The connection to the feed broke off.") from None
    return Fetched(status, body, etag=response.getheader("ETag") or "",
                   last_modified=response.getheader("Last-Modified") or "",
                   charset=response.msg.get_content_charset())
