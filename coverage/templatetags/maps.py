"""``{% load maps %}``: ``manifest|has_map`` (the connector declares a stream of places)."""

from django import template

from coverage import maps

register = template.Library()


@register.filter
def has_map(manifest) -> bool:
    return maps.has_map(manifest)
