"""The owner API's docs page: Swagger UI from ``static/vendor/swagger-ui`` (no CDN), for signed-in owners.

The OpenAPI schema itself (``/api/owner/openapi.json``) stays public: it describes the API and
holds no owner data, and tools read it without a session.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.openapi.docs import Swagger

SWAGGER_SETTINGS = {
    "layout": "BaseLayout",
    "deepLinking": True,
    "validatorUrl": None,  # Swagger UI would otherwise send the schema to validator.swagger.io
}


class OwnerDocs(Swagger):
    """Swagger UI rendered from our template, whatever ninja's own template choice would be."""

    template = "coverage/api_docs.html"

    def __init__(self) -> None:
        super().__init__(settings=SWAGGER_SETTINGS)

    def render_page(self, request: HttpRequest, api: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        swagger = {**self.settings, "url": self.get_openapi_url(api, kwargs)}
        return render(request, self.template, {"api": api, "swagger_settings": swagger})
