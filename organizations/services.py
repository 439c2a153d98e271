"""Every write to organisations, people and memberships."""

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr

from .models import PATH_SEGMENT_WIDTH, Membership, Organization, OrganizationKind, Role, User


class OrganizationError(ValueError):
    """A change to the tree that would break it; the message is for the user."""


def _segment(pk: int) -> str:
    return f"{pk:0{PATH_SEGMENT_WIDTH}d}/"


@transaction.atomic
def organization_create(
    *,
    name: str,
    code: str,
    kind: str,
    parent: Organization | None = None,
    short_name: str = "",
    order: int = 0,
) -> Organization:
    """Create a node and give it its path; the parent's subtree query finds it at once."""
    if kind == OrganizationKind.OFFICE and parent is not None and parent.kind != OrganizationKind.OFFICE:
        raise OrganizationError("文明办只能位于另一个文明办之下或作为根节点。")
    org = Organization(kind=kind, parent=parent, name=name, short_name=short_name, code=code, order=order)
    org.full_clean(exclude=["path", "depth"])
    org.save()
    org.path = (parent.path if parent else "") + _segment(org.pk)
    org.depth = parent.depth + 1 if parent else 0
    org.save(update_fields=["path", "depth"])
    return org


@transaction.atomic
def organization_update(
    *, organization: Organization, name: str, short_name: str, code: str, kind: str, order: int
) -> Organization:
    organization.name = name
    organization.short_name = short_name
    organization.code = code
    organization.kind = kind
    organization.order = order
    organization.full_clean(exclude=["path", "depth", "parent"])
    organization.save(update_fields=["name", "short_name", "code", "kind", "order"])
    return organization


@transaction.atomic
def organization_move(*, organization: Organization, new_parent: Organization | None) -> Organization:
    """Re-parent a node; its whole subtree's paths are rewritten in one UPDATE."""
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    if new_parent is not None:
        new_parent = Organization.objects.get(pk=new_parent.pk)
        if new_parent.path.startswith(organization.path):
            raise OrganizationError("不能把组织移动到它自己或它的下级之下。")
    old_path = organization.path
    new_path = (new_parent.path if new_parent else "") + _segment(organization.pk)
    depth_change = (new_parent.depth + 1 if new_parent else 0) - organization.depth
    Organization.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + depth_change,
    )
    organization.parent = new_parent
    organization.save(update_fields=["parent"])
    organization.refresh_from_db()
    return organization


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None,
    real_name: str = "",
    phone: str = "",
    email: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    user = User(
        username=username,
        real_name=real_name,
        phone=phone,
        email=email,
        is_staff=is_staff,
        is_superuser=is_superuser,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def membership_grant(*, user: User, organization: Organization, role: str, title: str = "") -> Membership:
    """Give a user a role in an organisation (idempotent)."""
    if role not in Role.values:
        raise OrganizationError(f"未知角色：{role}")
    membership, created = Membership.objects.get_or_create(
        user=user, organization=organization, role=role, defaults={"title": title}
    )
    if not created and title and membership.title != title:
        membership.title = title
        membership.save(update_fields=["title"])
    return membership


@transaction.atomic
def membership_revoke(*, membership: Membership) -> None:
    membership.delete()
