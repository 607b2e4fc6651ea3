"""The owner API (django-ninja). It serializes the one projection and the one receipt.

Every operation is scoped to ``request.user``: another owner's slug or batch id is a 404.
"""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from ninja import NinjaAPI

from connections.models import Connection
from connections.zones import owner_zone
from exports.api import router as exports_router

from .api_auth import owner_auth
from .api_docs import OwnerDocs
from .api_imports import router as imports_router
from .api_problems import answer_problems, problems, refuse_fields
from .api_records import router as records_router
from .api_reread import router as reread_router
from .evidence import load_health, load_system
from .projection import ConnectionHealth, SystemHealth
from .serializers import health_json, healths_json, system_json

api = NinjaAPI(
    title="Ownerhub owner API",
    version="1",
    urls_namespace="owner_api",
    auth=owner_auth,
    docs_url="/docs",
    docs=OwnerDocs(),
)
answer_problems(api)  # every refusal in owner words, one place


def _takes_no_parameters(request) -> None:
    """A parameter an address without any is refused (400 ``invalid_values``), not ignored: ``?state=failing`` on
    the list would look like a filter that held every source."""
    if request.GET:
        raise refuse_fields(*({"loc": ("query", name), "type": "extra_forbidden", "known": ()}
                              for name in sorted(request.GET)))


@api.get("/connections", response={200: list[ConnectionHealth], **problems(400)}, tags=["health"])
def list_connections(request):
    """The health and coverage projection of every connection of the owner, ordered by name."""
    _takes_no_parameters(request)
    # JsonResponse, not ninja's encoder: it would cut timestamps to milliseconds and the
    # API must equal the CLI's --json byte for byte.
    return JsonResponse(healths_json(load_health(Connection.objects.for_owner(request.user))), safe=False)


@api.get("/connections/{slug}", response={200: ConnectionHealth, **problems(400, 404)}, tags=["health"])
def get_connection(request, slug: str):
    """The projection of one connection."""
    _takes_no_parameters(request)
    connection = get_object_or_404(Connection.objects.for_owner(request.user), slug=slug)
    return JsonResponse(health_json(load_health(Connection.objects.filter(pk=connection.pk), timeline=True)[0]))


@api.get("/system", response={200: SystemHealth, **problems(400)}, tags=["health"])
def get_system(request):
    """The installation's own runtime (the background worker), shown once, not on every card."""
    _takes_no_parameters(request)
    return JsonResponse(system_json(load_system(tz=owner_zone(request.user))))  # its words in the owner's zone


api.add_router("", imports_router)
api.add_router("", records_router)
api.add_router("", reread_router)
api.add_router("", exports_router)
