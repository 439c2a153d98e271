"""`{% volunteer_rights as rights %}`: what the signed-in user may do here, for the section's tabs and buttons."""

from django import template

from volunteers import selectors
from volunteers.models import hours_step_text

register = template.Library()


@register.simple_tag(takes_context=True)
def volunteer_rights(context: template.Context) -> dict[str, bool]:
    user = context["request"].user
    return {
        "record": selectors.organizations_for_volunteers(user=user, action="change").exists(),
        "confirm": selectors.user_can_confirm_somewhere(user),
    }


@register.simple_tag
def hours_step() -> str:
    """The site's unit of service time ("0.5", or "0.1" where VOLUNTEERS_HOURS_STEP says so)."""
    return hours_step_text()
