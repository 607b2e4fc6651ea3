"""Response headers the whole site shares, and JSON errors for the API."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from coverage.api_words import METHOD_NOT_ALLOWED, STATUSES
from coverage.maps import tile_origin

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "object-src 'none'"
)

API_PREFIX = "/api/"


class ContentSecurityPolicyMiddleware:
    """Only the app's own scripts and styles run; no inline script, no CDN.

    The owner API's docs page is covered too (its Swagger UI is vendored under ``static/``);
    only the admin, which ships inline scripts, goes without.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/admin/"):
            response.headers.setdefault("Content-Security-Policy", _policy())
        return response


def _policy() -> str:
    """The page policy, allowing images from the map tile server when one is set."""
    origin = tile_origin()
    return CSP.replace("img-src 'self' data:", f"img-src 'self' data: {origin}") if origin else CSP


class NoStoreMiddleware:
    """Owner data is never kept by a browser or a proxy cache (``Cache-Control: no-store``).

    Every page and API answer that reaches Django is about one owner (or asks them to sign
    in); static files are answered by whitenoise before this runs and keep their own caching.
    A view that set its own ``Cache-Control`` keeps it, except in the API.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(API_PREFIX) or "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response


class ApiProblemMiddleware:
    """An error from the API is always JSON ``{"detail": ..., "code": ...}``, never Django's HTML page.

    Endpoints already answer JSON; this covers what is answered before one runs: an unknown
    address, a wrong method, a request body Django cannot parse, a server error.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(API_PREFIX) or response.status_code < 400:
            return response
        if response.headers.get("Content-Type", "").startswith("application/json"):
            return response
        status = response.status_code
        # What Django answered before any endpoint could, in the API's own words (coverage.api_words).
        code, detail = STATUSES.get(status) or STATUSES[500 if status >= 500 else 400]
        if status == 405 and response.headers.get("Allow"):
            detail = METHOD_NOT_ALLOWED.format(method=request.method, allowed=response.headers["Allow"])
        problem = JsonResponse({"detail": detail, "code": code}, status=status)
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response.headers:
                problem.headers[header] = response.headers[header]
        return problem
