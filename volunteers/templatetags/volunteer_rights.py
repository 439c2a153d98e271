"""`{% volunteer_rights as rights %}`: what the signed-in user may do here, for the section's tabs and buttons."""

from django import template

from volunteers import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def volunteer_rights(context: template.Context) -> dict[str, bool]:
    user = context["request"].user
    return {
        "record": selectors.organizations_for_volunteers(user=user, action="change").exists(),
        "confirm": selectors.user_can_confirm_somewhere(user),
    }
