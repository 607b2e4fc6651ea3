"""Owner API: read an import again with today's reader or in a new zone."""

from ninja import Router

router = Router(tags=["imports"])
