from django import template

from reminders.models import DigestSettings

register = template.Library()


@register.simple_tag
def digest_settings_of(user):
    """The owner's digest settings (made on first sight, with a new signing secret)."""
    return DigestSettings.objects.get_or_create(owner=user)[0]
