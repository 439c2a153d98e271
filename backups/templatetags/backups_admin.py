from django import template

from backups.models import FileCheck

register = template.Library()


@register.simple_tag
def last_file_check() -> FileCheck | None:
    """The latest file check, for the card on the admin index."""
    return FileCheck.objects.order_by("-checked_at").first()
