from django import template

from reminders.models import SECRET_SHOWN_ONCE, DigestSettings

register = template.Library()


@register.simple_tag
def digest_settings_of(user):
    """The owner's digest settings (made on first sight, with a new signing secret)."""
    return DigestSettings.objects.get_or_create(owner=user)[0]


@register.simple_tag
def digest_secret_once(request) -> str:
    """The signing secret the owner just made, once: the next page no longer holds it (as access tokens)."""
    return request.session.pop(SECRET_SHOWN_ONCE, "")
