"""Response headers the whole site shares, and JSON errors for the API."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from coverage.maps import tile_origin

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "object-src 'none'"
)

API_PREFIX = "/api/"

# What an API client is told when Django or ninja answered an error before any endpoint could.
API_PROBLEMS = {
    400: "The request could not be read.",
    401: "Sign in or send a personal access token (Authorization: Bearer oh_pat_...).",
    403: "This request is not allowed.",
    404: "There is nothing at this address.",
    405: "This address does not take that method.",
    413: "The request is larger than this installation accepts.",
    500: "Something went wrong on our side. Nothing was changed; try again later.",
}


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
    """An error from the API is always JSON ``{"detail": ...}``, never Django's HTML page.

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
        detail = API_PROBLEMS.get(status) or API_PROBLEMS[500 if status >= 500 else 400]
        problem = JsonResponse({"detail": detail}, status=status)
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response.headers:
                problem.headers[header] = response.headers[header]
        return problem
