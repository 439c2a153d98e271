"""Every write to organisations, people and memberships.

Who may do what is decided here, not only in the forms, so a crafted POST, a command or another app's code meets the
same rules. `actor` is the signed-in user doing it; `actor=None` is the system (seed_demo, imports, the factories):
it has full authority and is recorded as 系统. A superuser (the platform operator) manages everything as well.

The rules about people, each refused with a Chinese message and nothing changed:
- an existing account is added only when every membership it holds lies inside the actor's manage scope, or it holds
  none and is neither staff nor superuser;
- passwords are reset, and names and phones edited, only for accounts wholly inside the actor's manage scope that are
  neither staff nor superuser;
- nobody grants a role to themselves; a 文明办 admin onboards a unit's first 管理员 but grants nothing else inside a
  unit's subtree (the office reads units, it does not write their ledgers);
- nobody changes the kind of the node they sit in or of any node above it, and a unit with campaigns stays a unit.
"""

import secrets

from django.core.exceptions import PermissionDenied
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


class OrganizationRefused(OrganizationError, PermissionDenied):
    """The actor may not do this; the message is for the user (a form shows it, elsewhere it is a 403)."""


# Objects of the apps above this one that need their organisation to stay a unit. Named, not imported, because
# organizations sits below them (../shared/DESIGN.md): the reverse accessor of Campaign.unit.
UNIT_BOUND_RELATIONS = {"campaigns": "创建方案"}

ACCOUNT_ELSEWHERE = (
    "该账号属于其他组织或为平台运维账号，不能由本组织管理；如需调整，请联系其所属组织的管理员或平台运维。"
)
NOT_MANAGER = "只有本组织或上级组织的管理员可以进行此操作。"


def _has_authority(actor: User | None) -> bool:
    """The system and the platform operator are not bound by an organisation's manage scope."""
    return actor is None or actor.is_superuser


def _admin_memberships(actor: User) -> list[Membership]:
    """The actor's 管理员 memberships, read fresh (a write must not trust a scope cached earlier in the request)."""
    return list(Membership.objects.filter(user=actor, role=Role.ADMIN).select_related("organization"))


def _managing(actor: User, organization: Organization) -> list[Membership]:
    """The actor's 管理员 memberships at or above `organization`."""
    return [m for m in _admin_memberships(actor) if organization.path.startswith(m.organization.path)]


def _require_manage(actor: User | None, organization: Organization) -> None:
    if not _has_authority(actor) and not _managing(actor, organization):
        raise OrganizationRefused(NOT_MANAGER)


def _account_in_reach(actor: User | None, user: User) -> bool:
    """Every membership of `user` lies inside the actor's manage scope, and `user` is no platform account."""
    if _has_authority(actor):
        return True
    if user.is_staff or user.is_superuser:
        return False
    manage_paths = [m.organization.path for m in _admin_memberships(actor)]
    if not manage_paths:
        return False
    paths = Membership.objects.filter(user=user).values_list("organization__path", flat=True)
    return all(any(path.startswith(root) for root in manage_paths) for path in paths)


def account_in_reach(*, actor: User | None, user: User) -> bool:
    """Whether the actor may reset, edit or add this account (for the pages to offer the buttons)."""
    return _account_in_reach(actor, user)


def accounts_in_reach(*, actor: User | None, users: list[User]) -> set[int]:
    """Of `users`, the ids of those `account_in_reach` allows (two queries, whatever the number of users)."""
    if _has_authority(actor):
        return {u.pk for u in users}
    manage_paths = [m.organization.path for m in _admin_memberships(actor)]
    outside: set[int] = set()
    rows = Membership.objects.filter(user__in=[u.pk for u in users]).values_list("user_id", "organization__path")
    for user_id, path in rows:
        if not any(path.startswith(root) for root in manage_paths):
            outside.add(user_id)
    return {u.pk for u in users if u.pk not in outside and not (u.is_staff or u.is_superuser)}


def _require_account_in_reach(actor: User | None, user: User) -> None:
    if not _account_in_reach(actor, user):
        raise OrganizationRefused(ACCOUNT_ELSEWHERE)


KIND_LOCKED = "不能修改本单位或上级组织的类型，请联系上级管理员。"


def reshape_allowed(*, actor: User | None, organization: Organization) -> bool:
    """Whether the actor may change the node's kind or place: only from above, never the node they sit in."""
    if _has_authority(actor):
        return True
    paths = Membership.objects.filter(user=actor).values_list("organization__path", flat=True)
    return not any(path.startswith(organization.path) for path in paths)


def _require_person_in_reach(actor: User | None, user: User, organization: Organization | None) -> None:
    """Resets and edits happen on one of the person's memberships, which the actor manages, and the account must be
    wholly inside the actor's manage scope. The trail entry then lands in that organisation."""
    if _has_authority(actor):
        return
    if organization is None or not Membership.objects.filter(user=user, organization=organization).exists():
        raise OrganizationRefused("只能在人员所在组织的页面上重置密码或修改人员信息。")
    _require_manage(actor, organization)
    _require_account_in_reach(actor, user)


def _nearest_unit(organization: Organization) -> Organization | None:
    if organization.kind == OrganizationKind.UNIT:
        return organization
    return (
        Organization.objects.filter(pk__in=organization.ancestor_ids, kind=OrganizationKind.UNIT)
        .order_by("-depth")
        .first()
    )


def _require_grantable(*, actor: User | None, user: User, organization: Organization, role: str) -> None:
    """Who may give `role` on `organization` to `user` (see the module docstring)."""
    if actor is None:
        return
    if actor.pk == user.pk:
        raise OrganizationRefused("不能给自己授予角色，请由其他管理员操作。")
    if actor.is_superuser:
        return
    managing = _managing(actor, organization)
    if not managing:
        raise OrganizationRefused(NOT_MANAGER)
    _require_account_in_reach(actor, user)
    if any(m.organization.kind != OrganizationKind.OFFICE for m in managing):
        return  # an admin of the unit (or of a node inside it) runs the unit's people
    unit = _nearest_unit(organization)
    if unit is None:
        return  # the office's own tree
    if role != Role.ADMIN:
        raise OrganizationRefused(
            "文明办管理员不能在单位内授予创建办、联络员或领导角色：单位的内容由单位自己维护，请由单位管理员添加。"
        )
    if organization.pk != unit.pk or Membership.objects.filter(organization=unit, role=Role.ADMIN).exists():
        raise OrganizationRefused("文明办管理员只能为尚无管理员的单位设置首位管理员；其余人员由单位管理员添加。")


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
    """Create a node and give it its path; the parent's subtree query finds it at once.

    `actor` must manage the parent (a root only the system or the platform operator creates).
    """
    if parent is not None:
        _require_manage(actor, parent)
    elif not _has_authority(actor):
        raise OrganizationRefused(NOT_MANAGER)
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
    actor: User | None,
) -> Organization:
    """Rename or re-kind a node. The kind is changed only from above, and never away from a unit with campaigns."""
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    _require_manage(actor, organization)
    parent = organization.parent
    if kind != organization.kind:
        if not reshape_allowed(actor=actor, organization=organization):
            raise OrganizationRefused(KIND_LOCKED)
        if organization.kind == OrganizationKind.UNIT:
            for accessor, label in UNIT_BOUND_RELATIONS.items():
                related = getattr(organization, accessor, None)
                if related is not None and related.exists():
                    raise OrganizationError(f"该单位已有{label}，不能改为其他类型，否则其{label}和台账将无法访问。")
    if kind == OrganizationKind.OFFICE and parent is not None and parent.kind != OrganizationKind.OFFICE:
        raise OrganizationError("文明办只能位于另一个文明办之下或作为根节点。")
    before = {
        "name": organization.name,
        "short_name": organization.short_name,
        "code": organization.code,
        "kind": organization.kind,
    }
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
    *, organization: Organization, new_parent: Organization | None, actor: User | None
) -> Organization:
    """Re-parent a node; its whole subtree's paths are rewritten in one UPDATE.

    `actor` must manage the node and its new parent from above (nobody moves the node they sit in).
    """
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    _require_manage(actor, organization)
    if not reshape_allowed(actor=actor, organization=organization):
        raise OrganizationRefused("不能调整本单位或上级组织的位置，请联系上级管理员。")
    if new_parent is not None:
        new_parent = Organization.objects.get(pk=new_parent.pk)
        _require_manage(actor, new_parent)
        if new_parent.path.startswith(organization.path):
            raise OrganizationError("不能把组织移动到它自己或它的下级之下。")
    elif not _has_authority(actor):
        raise OrganizationRefused(NOT_MANAGER)
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
    *, user: User, organization: Organization, role: str, title: str = "", actor: User | None
) -> Membership:
    """Give a user a role in an organisation (idempotent); the grant is recorded in the organisation's trail."""
    if role not in Role.values:
        raise OrganizationError(f"未知角色：{role}")
    _require_grantable(actor=actor, user=user, organization=organization, role=role)
    membership, created = Membership.objects.get_or_create(
        user=user, organization=organization, role=role, defaults={"title": title}
    )
    if created:
        audit_record(
            actor=actor,
            action="grant",
            obj=membership,
            organization=organization,
            details={"username": user.username, "role": role},
        )
    if not created and title and membership.title != title:
        membership.title = title
        membership.save(update_fields=["title"])
    return membership


@transaction.atomic
def membership_revoke(*, membership: Membership, actor: User | None) -> None:
    """Remove a role; the removal is recorded in the audit trail. Nobody revokes their own 管理员 role."""
    _require_manage(actor, membership.organization)
    if actor is not None and membership.user_id == actor.pk and membership.role == Role.ADMIN:
        raise OrganizationRefused("不能撤销自己的管理员身份，请由上级管理员操作。")
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
    """Add a person to an organisation: a new account (with `password`) or an existing username.

    An existing account must lie wholly inside the actor's manage scope (or hold no membership and be no platform
    account); otherwise it belongs to someone else and is refused.
    """
    _require_manage(actor, organization)
    user = User.objects.filter(username=username).first()
    if user is not None:
        _require_account_in_reach(actor, user)
    else:
        if not password:
            raise OrganizationError("新账号需要设置初始密码。")
        user = user_create(username=username, password=password, real_name=real_name, phone=phone)
        audit_record(actor=actor, action="create", obj=user, organization=organization)
    if Membership.objects.filter(user=user, organization=organization, role=role).exists():
        raise OrganizationError(f"{user.display_name} 已经是该组织的{Role(role).label}。")
    return membership_grant(user=user, organization=organization, role=role, title=title, actor=actor)


@transaction.atomic
def user_update_profile(
    *, user: User, actor: User | None, real_name: str, phone: str, organization: Organization | None = None
) -> User:
    """Correct a person's name and phone; only for accounts wholly inside the actor's manage scope.

    `organization` is the membership the admin edits from (required for anyone but the system and the operator).
    """
    _require_person_in_reach(actor, user, organization)
    before = {"real_name": user.real_name, "phone": user.phone}
    user.real_name = real_name
    user.phone = phone
    user.full_clean(exclude=["password"], validate_unique=False)
    user.save(update_fields=["real_name", "phone"])
    audit_record(actor=actor, action="update", obj=user, organization=organization, details={"before": before})
    return user


@transaction.atomic
def user_password_reset(*, user: User, actor: User | None, organization: Organization | None = None) -> str:
    """Give the user a new random password (shown once to the admin) and lift any lock-out.

    Only for accounts wholly inside the actor's manage scope that are no platform accounts; recorded in the trail
    of `organization` (the membership the admin pressed 重置密码 on).
    """
    from axes.utils import reset as axes_reset

    _require_person_in_reach(actor, user, organization)

    password = f"Wm-{secrets.token_urlsafe(9)}"
    user.set_password(password)
    user.save(update_fields=["password"])
    axes_reset(username=user.username)
    audit_record(actor=actor, action="password_reset", obj=user, organization=organization)
    return password
