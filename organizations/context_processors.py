from django.http import HttpRequest

from .scoping import get_scope


def memberships(request: HttpRequest) -> dict:
    """The signed-in user's memberships, for the header of every page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"my_memberships": get_scope(user).memberships}
