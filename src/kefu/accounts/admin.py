"""Staff users (roles are their groups) and their API tokens, which the admin may only revoke.

Nobody grants a right they do not hold (accounts/grants.py): a non-superuser sees the superuser
flag read-only, is offered only the groups and permissions they hold in full, and may only view
(never change, set the password of or delete) an account that holds a right they lack.

The sign-in lockout's records (django-axes) are shown by axes' own admins with what they lack:
column headers in the reader's language and each record named by its time in Asia/Shanghai (axes
names it by its time in UTC). Axes' words are translated in src/kefu/locale_vendor.
"""

from collections.abc import Sequence

from axes import admin as axes_admin  # registers axes' admins, replaced below
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.contrib.auth.models import Group, Permission
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kefu.accounts import services
from kefu.accounts.grants import (
    grantable_groups,
    held_permissions,
    holds_all_rights,
    is_active_superuser,
    users_beyond,
)
from kefu.accounts.models import ApiToken, User
from kefu.accounts.roles import role_label
from kefu.core import audit
from kefu.core.admin import AuditedModelAdmin, ReadOnlyAdminMixin
from kefu.core.errors import DomainError
from kefu.core.models import AuditAction

ROLE_NOT_YOURS = _("You may give only the roles whose every permission you hold yourself.")
PERMISSION_NOT_YOURS = _("You may give only the permissions you hold yourself.")
ABOVE_YOU = _("This account holds rights that you do not hold, so you may only view it.")


# A default permission by its action and its model's name in the reader's language; Django
# stores "Can add customer" in English.
PERMISSION_ACTIONS = {
    "add": _("Can add %(model)s"),
    "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"),
    "view": _("Can view %(model)s"),
}


def permission_label(permission: Permission) -> str:
    """A permission in the reader's language: "客户 | 客户 | 可以添加客户". A default one is read
    from its action and its model's translated name, one that a model declares from the model's
    Meta.permissions (marked for translation there); the stored name is the fallback."""
    model = permission.content_type.model_class()
    name = permission.name
    if model is not None:
        action, _sep, model_name = permission.codename.partition("_")
        declared = dict(model._meta.permissions).get(permission.codename)
        if declared is not None:
            name = str(declared)
        elif action in PERMISSION_ACTIONS and model_name == model._meta.model_name:
            name = PERMISSION_ACTIONS[action] % {"model": model._meta.verbose_name}
    return f"{permission.content_type} | {name}"


def group_label(group: Group) -> str:
    """A role's group by the role's label in the reader's language (客服专员), not its code."""
    return role_label(group.name)


class RoleListFilter(admin.RelatedFieldListFilter):
    def field_choices(self, field, request, model_admin):
        return [(group.pk, group_label(group)) for group in Group.objects.order_by("name")]


class UserCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "display_name")


class UserChangeForm(DjangoUserChangeForm):
    class Meta(DjangoUserChangeForm.Meta):
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(AuditedModelAdmin, DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    list_display = ("username", "display_name", "roles", "phone", "is_active", "is_staff", "last_login")
    list_filter = (("groups", RoleListFilter), "is_active", "is_staff", "is_superuser")
    search_fields = ("username", "display_name", "first_name", "last_name", "email", "phone")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("display_name", "first_name", "last_name", "email", "phone")}),
        (
            _("Roles and permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "display_name", "usable_password", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ("last_login", "date_joined")

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        users = super().get_queryset(request).prefetch_related("groups")
        if not is_active_superuser(request.user):
            beyond = users_beyond(request.user).filter(pk=OuterRef("pk"))
            users = users.annotate(holds_more_than_you=Exists(beyond))
        return users

    def get_list_display(self, request: HttpRequest) -> Sequence[str]:
        if is_active_superuser(request.user):
            return self.list_display
        return (*self.list_display, "may_edit")

    @admin.display(description=_("you may edit"), boolean=True)
    def may_edit(self, user: User) -> bool:
        return not user.holds_more_than_you

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> Sequence[str]:
        fields = super().get_readonly_fields(request, obj)
        if not is_active_superuser(request.user):
            fields = (*fields, "is_superuser")
        return fields

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = self._formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "groups" and field is not None:
            field.label_from_instance = group_label
        if db_field.name == "user_permissions" and field is not None:
            field.label_from_instance = permission_label
        return field

    def _formfield_for_manytomany(self, db_field, request, **kwargs):
        if not is_active_superuser(request.user):
            if db_field.name == "groups":
                kwargs["queryset"] = grantable_groups(request.user)
                kwargs["error_messages"] = {"invalid_choice": ROLE_NOT_YOURS}
            elif db_field.name == "user_permissions":
                kwargs["queryset"] = held_permissions(request.user).select_related("content_type")
                kwargs["error_messages"] = {"invalid_choice": PERMISSION_NOT_YOURS}
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _is_above(self, request: HttpRequest, user: User | None) -> bool:
        """Whether `user` holds a right the editor lacks: the account is theirs only to view."""
        return user is not None and not holds_all_rights(request.user, user)

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return super().has_change_permission(request, obj) and not self._is_above(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return super().has_delete_permission(request, obj) and not self._is_above(request, obj)

    def get_deleted_objects(self, objs, request):
        """The bulk delete asks no per-object permission: refuse it when any selected user is above."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if users_beyond(request.user).filter(pk__in=[user.pk for user in objs]).exists():
            perms_needed.add(_("staff users who hold rights you do not hold"))
        return deleted, counts, perms_needed, protected

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET" and super().has_change_permission(request):
            user = self.get_object(request, unquote(object_id))
            if self._is_above(request, user):
                self.message_user(request, ABOVE_YOU, messages.WARNING)
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description=_("roles"))
    def roles(self, user: User) -> str:
        return ", ".join(role_label(code) for code in user.role_codes)

    def user_change_password(self, request, id, form_url=""):
        """Django's password page saves the form itself; the trail notes the change, never the hash."""
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and isinstance(response, HttpResponseRedirect):
            user = self.get_object(request, id)
            if user is not None:
                audit.record(
                    actor=request.user,
                    action=AuditAction.UPDATE,
                    obj=user,
                    changes={"password": [None, "changed"]},
                )
        return response


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(AuditedModelAdmin, DjangoGroupAdmin):
    """Roles. A non-superuser with the right to change groups puts into a group only permissions
    they hold, and changes only the groups they could grant: a group is a bundle of rights.
    A role's group is shown by the role's label; its name stays the role's stable code."""

    list_display = ("role", "name")
    search_fields = ("name",)

    @admin.display(description=_("role"), ordering="name")
    def role(self, group: Group) -> str:
        return group_label(group)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        group = self.get_object(request, unquote(object_id))
        if group is not None:
            extra_context = {
                "object_title": group_label(group),
                "subtitle": group_label(group),
                **(extra_context or {}),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "permissions" and not is_active_superuser(request.user):
            kwargs["queryset"] = held_permissions(request.user).select_related("content_type")
            kwargs["error_messages"] = {"invalid_choice": PERMISSION_NOT_YOURS}
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "permissions" and field is not None:
            field.label_from_instance = permission_label
        return field

    def has_change_permission(self, request: HttpRequest, obj: Group | None = None) -> bool:
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or grantable_groups(request.user).filter(pk=obj.pk).exists()


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Tokens are made by their owner (the raw token is shown once, only its digest is kept);
    an administrator may see them and revoke them, never read or edit the digest."""

    list_display = ("prefix", "user", "name", "created_at", "last_used_at", "expires_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("prefix", "name", "user__username")
    list_select_related = ("user",)
    fields = ("prefix", "user", "name", "created_at", "last_used_at", "expires_at", "revoked_at")
    readonly_fields = fields
    actions = ("revoke",)

    def has_revoke_permission(self, request) -> bool:
        return request.user.has_perm("accounts.change_apitoken")

    @admin.action(description=_("Revoke the selected tokens"), permissions=["revoke"])
    def revoke(self, request, queryset):
        """Each selected token that still works, through accounts.services.revoke_token (which
        checks who may revoke it, locks it and audits); a refusal is reported, not hidden."""
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True).select_related("user"):
            try:
                services.revoke_token(token=token, by=request.user)
            except DomainError as refusal:
                self.message_user(request, f"{token.prefix}: {refusal.message}", messages.ERROR)
            else:
                revoked += 1
        self.message_user(
            request,
            ngettext("%(n)d token revoked.", "%(n)d tokens revoked.", revoked) % {"n": revoked},
            messages.SUCCESS,
        )


# --- The sign-in lockout's records (django-axes) ---------------------------------------------


def local_time(moment) -> str:
    """A stored time as the reader reads it: in Asia/Shanghai, in the reader's format."""
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


class TitledRecord:
    """A record as Django's delete and history pages print it: its pk, and the title we give."""

    def __init__(self, record, title: str) -> None:
        self.pk = record.pk
        self.title = title

    def __str__(self) -> str:
        return self.title


def _retitled(items: list, titles: dict[str, str]) -> list:
    """Django's nested list of links to records, with each link's text replaced by its title."""
    retitled: list = []
    for item in items:
        if isinstance(item, list):
            retitled.append(_retitled(item, titles))
            continue
        for old, new in titles.items():
            item = item.replace(old, new)
        retitled.append(mark_safe(item))
    return retitled


class LockoutRecordAdmin:
    """Names each record by who, when (local time) and from where, on its change, history and
    delete pages and its list's checkbox, where axes' `__str__` would show the time in UTC."""

    def record_title(self, record) -> str:
        return _("%(username)s, %(time)s, from %(address)s") % {
            "username": record.username or "-",
            "time": local_time(record.attempt_time),
            "address": record.ip_address or "-",
        }

    def _titled(self, request, object_id) -> TitledRecord | None:
        record = self.get_object(request, unquote(object_id))
        return None if record is None else TitledRecord(record, self.record_title(record))

    def action_checkbox(self, record):
        return super().action_checkbox(TitledRecord(record, self.record_title(record)))

    def get_deleted_objects(self, objs, request):
        """The list of what a delete removes, each record by its title (the list holds the
        records' `__str__` inside their links)."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        titles = {f">{escape(record)}<": f">{escape(self.record_title(record))}<" for record in objs}
        return _retitled(deleted, titles), counts, perms_needed, protected

    def change_view(self, request, object_id, form_url="", extra_context=None):
        titled = self._titled(request, object_id)
        if titled is not None:
            extra_context = {"object_title": titled.title, "subtitle": titled.title, **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        titled = self._titled(request, object_id)
        if titled is not None:
            title = _("Change history: %s") % titled.title
            extra_context = {"object": titled, "title": title, **(extra_context or {})}
        return super().history_view(request, object_id, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        titled = self._titled(request, object_id)
        if titled is not None and request.method != "POST":
            extra_context = {"object": titled, "escaped_object": titled.title, **(extra_context or {})}
        return super().delete_view(request, object_id, extra_context)


admin.site.unregister([AccessAttempt, AccessLog, AccessFailureLog])


@admin.register(AccessAttempt)
class AccessAttemptAdmin(LockoutRecordAdmin, axes_admin.AccessAttemptAdmin):
    """Failed sign-ins that still count towards a lock; deleting one lifts its lock."""

    @admin.display(description=_("status"))
    def status(self, attempt: AccessAttempt) -> str:
        return super().status(attempt)


@admin.register(AccessLog)
class AccessLogAdmin(LockoutRecordAdmin, axes_admin.AccessLogAdmin):
    pass


@admin.register(AccessFailureLog)
class AccessFailureLogAdmin(LockoutRecordAdmin, axes_admin.AccessFailureLogAdmin):
    pass
