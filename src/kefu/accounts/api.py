"""REST API of accounts (API.md "auth"): tokens, staff users and the caller's own profile."""

from typing import Annotated

from axes.helpers import get_credentials
from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from kefu.accounts import lockout, selectors, services
from kefu.accounts.models import ApiToken, User
from kefu.accounts.roles import Role, role_label
from kefu.core.api.errors import Locked, NotAuthenticated, errors
from kefu.core.api.helpers import Cursor, Id, Limit, LocalDateTime
from kefu.core.api.schema import InputDateTime, Page, StrictSchema, max_length
from kefu.core.pagination import keyset_page

router = Router(tags=["auth"])

# Longer than any passphrase a person types; a longer one only costs hashing time.
PASSWORD_MAX = 1024
# Retry-After for a lock that only an administrator ends (no cool-off configured): ask again later.
LOCK_WITHOUT_END_RETRY_AFTER = 60


class InvalidCredentials(NotAuthenticated):
    code = "invalid_credentials"
    default_message = _("The username or password is not correct.")


# --- Schemas -------------------------------------------------------------------------------


class TokenIn(StrictSchema):
    username: str = Field(min_length=1, max_length=max_length(User, "username"))
    password: str = Field(min_length=1, max_length=PASSWORD_MAX)
    name: str = Field(
        "",
        max_length=max_length(ApiToken, "name"),
        description="What the token is for, to tell your tokens apart.",
    )
    expires_at: InputDateTime | None = Field(None, description="When it stops working; none: never.")


class TokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(description="The first characters of the token, to recognise it.")
    created_at: LocalDateTime
    expires_at: LocalDateTime | None
    last_used_at: LocalDateTime | None
    revoked_at: LocalDateTime | None


class TokenIssuedOut(TokenOut):
    token: str = Field(description="The token itself. Shown only in this answer; keep it secret.")


class TokenList(Page[TokenOut]):
    pass


class RoleOut(Schema):
    code: str
    label: str


class UserOut(Schema):
    id: int
    username: str
    display_name: str
    roles: list[RoleOut]
    is_active: bool


class UserList(Page[UserOut]):
    pass


class PermissionsOut(Schema):
    """What the caller may do, so that a client shows only the buttons that will work."""

    can_view_customers: bool
    can_add_customer: bool
    can_change_customer: bool
    can_reveal_phone: bool
    can_view_full_phone: bool
    can_add_product: bool
    can_change_product: bool
    can_add_life_event: bool
    can_add_product_model: bool
    can_view_audit: bool


class MeOut(UserOut):
    email: str
    permissions: PermissionsOut


# Client-facing permission name → Django permission.
PERMISSIONS = {
    "can_view_customers": "customers.view_customer",
    "can_add_customer": "customers.add_customer",
    "can_change_customer": "customers.change_customer",
    "can_reveal_phone": "customers.reveal_phone",
    "can_view_full_phone": "customers.view_full_phone",
    "can_add_product": "customers.add_ownedproduct",
    "can_change_product": "customers.change_ownedproduct",
    "can_add_life_event": "customers.add_lifeevent",
    "can_add_product_model": "customers.add_productmodel",
    "can_view_audit": "core.view_auditevent",
}


def _token_data(token: ApiToken) -> dict:
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
    }


def _user_data(user: User) -> dict:
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": str(user),
        "roles": [{"code": code, "label": role_label(code)} for code in user.role_codes],
        "is_active": user.is_active,
    }


# --- Tokens --------------------------------------------------------------------------------


@router.post(
    "/auth/tokens",
    auth=None,
    response={201: TokenIssuedOut, **errors(400, 422, 429)},
    operation_id="create_token",
    summary="Create an API token with a username and password",
    description=(
        "Returns a new personal token; only its SHA-256 is stored, so the token is shown once. "
        "Failed attempts count towards the same lockout as the sign-in page: after five for one "
        "username from one address, that username is locked for that address, and after thirty "
        "for any usernames, the address is locked (429; Retry-After gives the seconds until the "
        "lock ends). Attempts during a lock do not make it longer. Not idempotent by key: "
        "a stored answer would keep the secret."
    ),
)
def create_token(request: HttpRequest, payload: TokenIn):
    user = authenticate(request=request, username=payload.username, password=payload.password)
    if getattr(request, "axes_locked_out", False):
        # Answered here in the API's shape; AxesMiddleware would swap in the sign-in page's.
        request.axes_locked_out = False
        if lockout.is_address_locked(request):
            message = _("Too many failed sign-ins from your address. Try again later.")
        else:
            message = _("Too many failed attempts for this username. Try again later.")
        seconds = lockout.seconds_left(request, get_credentials(payload.username))
        raise Locked(message, retry_after=seconds or LOCK_WITHOUT_END_RETRY_AFTER)
    if user is None:
        raise InvalidCredentials()
    expires_at = payload.expires_at
    if expires_at is not None and timezone.is_naive(expires_at):
        expires_at = timezone.make_aware(expires_at)
    token, raw = services.issue_token(user=user, name=payload.name, expires_at=expires_at)
    return Status(201, {**_token_data(token), "token": raw})


@router.get(
    "/auth/tokens",
    response={200: TokenList, **errors(400, 422)},
    operation_id="list_tokens",
    summary="List the caller's own API tokens (never the tokens themselves)",
)
def list_tokens(
    request: HttpRequest,
    cursor: Cursor = None,
    limit: Limit = None,
):
    page = keyset_page(request.auth.api_tokens.all(), order=("-id",), cursor=cursor, limit=limit)
    return {"items": [_token_data(token) for token in page.items], "next_cursor": page.next_cursor}


@router.post(
    "/auth/tokens/{token_id}/revoke",
    response={200: TokenOut, **errors(403, 404, 409)},
    operation_id="revoke_token",
    summary="Revoke an API token",
    description="The token stops working at once. The owner may revoke it, and so may an administrator.",
)
def revoke_token(request: HttpRequest, token_id: Id):
    token = selectors.access_token(request.auth, token_id)
    return _token_data(services.revoke_token(token=token, by=request.auth))


# --- Users ---------------------------------------------------------------------------------


@router.get(
    "/users",
    response={200: UserList, **errors(400, 422)},
    operation_id="list_users",
    summary="List active staff users, by role or name",
    description="Any signed-in staff member may list colleagues, e.g. to choose whom to transfer to.",
)
def list_users(
    request: HttpRequest,
    role: Annotated[Role | None, Query(description="Only users with this role.")] = None,
    q: Annotated[str, Query(max_length=100, description="Part of the username or the name.")] = "",
    cursor: Cursor = None,
    limit: Limit = None,
):
    page = selectors.staff_users(role=role, text=q, cursor=cursor, limit=limit)
    return {"items": [_user_data(user) for user in page.items], "next_cursor": page.next_cursor}


@router.get(
    "/users/me",
    response={200: MeOut, **errors()},
    operation_id="get_me",
    summary="The caller: roles and what they may do",
)
def get_me(request: HttpRequest):
    user = request.auth
    permissions = {name: user.has_perm(perm) for name, perm in PERMISSIONS.items()}
    return {**_user_data(user), "email": user.email, "permissions": permissions}
