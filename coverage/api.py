"""The owner API (django-ninja). It serializes the one projection and the one receipt.

Every operation is scoped to ``request.user``: another owner's slug or batch id is a 404.
"""

from __future__ import annotations

import importlib.util

from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from ninja import NinjaAPI, Schema

from connections.models import Connection

from .api_auth import owner_auth
from .evidence import load_health
from .projection import ConnectionHealth
from .serializers import health_json, healths_json


class Problem(Schema):
    detail: str


api = NinjaAPI(
    title="Ownerhub owner API",
    version="1",
    urls_namespace="owner_api",
    auth=owner_auth,
    docs_url="/docs",
)


@api.get("/connections", response={200: list[ConnectionHealth], 401: Problem}, tags=["health"])
def list_connections(request):
    """The health and coverage projection of every connection of the owner, ordered by name."""
    # JsonResponse, not ninja's encoder: it would cut timestamps to milliseconds and the
    # API must equal the CLI's --json byte for byte.
    return JsonResponse(healths_json(load_health(Connection.objects.for_owner(request.user))), safe=False)


@api.get("/connections/{slug}", response={200: ConnectionHealth, 401: Problem, 404: Problem}, tags=["health"])
def get_connection(request, slug: str):
    """The projection of one connection."""
    connection = get_object_or_404(Connection.objects.for_owner(request.user), slug=slug)
    return JsonResponse(health_json(load_health(Connection.objects.filter(pk=connection.pk))[0]))


if importlib.util.find_spec("coverage.api_imports"):  # the import endpoints live with the pipeline
    from .api_imports import router as imports_router

    api.add_router("", imports_router)
