"""Every write to organisations, people and memberships."""

import secrets

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr

from .audit import audit_record
from .models import PATH_SEGMENT_WIDTH, Membership, Organization, OrganizationKind, Role, User

# Which kinds the forms offer under which parent. The services only refuse an office below a non-office;
# imports may place other shapes (a plan's external bureaus under an office, say).
CHILD_KINDS: dict[str | None, tuple[str, ...]] = {
    None: (OrganizationKind.OFFICE, OrganizationKind.UNIT),
    OrganizationKind.OFFICE: (OrganizationKind.OFFICE, OrganizationKind.UNIT, OrganizationKind.DEPARTMENT),
    OrganizationKind.UNIT: (OrganizationKind.DEPARTMENT, OrganizationKind.AFFILIATE),
    OrganizationKind.AFFILIATE: (OrganizationKind.DEPARTMENT,),
    OrganizationKind.DEPARTMENT: (OrganizationKind.DEPARTMENT,),
}


def allowed_child_kinds(parent: Organization | None) -> tuple[str, ...]:
    return CHILD_KINDS[parent.kind if parent else None]


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
    actor: User | None = None,
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
    audit_record(actor=actor, action="create", obj=org, organization=org)
    return org


@transaction.atomic
def organization_update(
    *,
    organization: Organization,
    name: str,
    short_name: str,
    code: str,
    kind: str,
    order: int,
    actor: User | None = None,
) -> Organization:
    parent = organization.parent
    if kind == OrganizationKind.OFFICE and parent is not None and parent.kind != OrganizationKind.OFFICE:
        raise OrganizationError("文明办只能位于另一个文明办之下或作为根节点。")
    before = {"name": organization.name, "short_name": organization.short_name, "code": organization.code}
    organization.name = name
    organization.short_name = short_name
    organization.code = code
    organization.kind = kind
    organization.order = order
    organization.full_clean(exclude=["path", "depth", "parent"])
    organization.save(update_fields=["name", "short_name", "code", "kind", "order"])
    audit_record(actor=actor, action="update", obj=organization, organization=organization, details={"before": before})
    return organization


@transaction.atomic
def organization_move(
    *, organization: Organization, new_parent: Organization | None, actor: User | None = None
) -> Organization:
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
    audit_record(
        actor=actor,
        action="move",
        obj=organization,
        organization=organization,
        details={"new_parent": new_parent.code if new_parent else None},
    )
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
def membership_grant(
    *, user: User, organization: Organization, role: str, title: str = "", actor: User | None = None
) -> Membership:
    """Give a user a role in an organisation (idempotent)."""
    if role not in Role.values:
        raise OrganizationError(f"未知角色：{role}")
    membership, created = Membership.objects.get_or_create(
        user=user, organization=organization, role=role, defaults={"title": title}
    )
    if created and actor is not None:
        audit_record(actor=actor, action="grant", obj=membership, organization=organization)
    if not created and title and membership.title != title:
        membership.title = title
        membership.save(update_fields=["title"])
    return membership


@transaction.atomic
def membership_revoke(*, membership: Membership, actor: User | None = None) -> None:
    """Remove a role; the removal is recorded in the audit trail."""
    audit_record(
        actor=actor,
        action="revoke",
        obj=membership,
        organization=membership.organization,
        details={"username": membership.user.username, "role": membership.role},
    )
    membership.delete()


@transaction.atomic
def member_add(
    *,
    organization: Organization,
    actor: User | None,
    username: str,
    role: str,
    real_name: str = "",
    phone: str = "",
    password: str = "",
    title: str = "",
) -> Membership:
    """Add a person to an organisation: a new account (with `password`) or an existing username."""
    user = User.objects.filter(username=username).first()
    if user is None:
        if not password:
            raise OrganizationError("新账号需要设置初始密码。")
        user = user_create(username=username, password=password, real_name=real_name, phone=phone)
        audit_record(actor=actor, action="create", obj=user, organization=organization)
    if Membership.objects.filter(user=user, organization=organization, role=role).exists():
        raise OrganizationError(f"{user.display_name} 已经是该组织的{Role(role).label}。")
    return membership_grant(user=user, organization=organization, role=role, title=title, actor=actor)


@transaction.atomic
def user_password_reset(*, user: User, actor: User | None, organization: Organization | None = None) -> str:
    """Give the user a new random password (shown once to the admin) and lift any lock-out."""
    from axes.utils import reset as axes_reset

    password = f"Wm-{secrets.token_urlsafe(9)}"
    user.set_password(password)
    user.save(update_fields=["password"])
    axes_reset(username=user.username)
    audit_record(actor=actor, action="password_reset", obj=user, organization=organization)
    return password
