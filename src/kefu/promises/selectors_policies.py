"""The reads of the policies' and the business calendar's API: keyset pages with a fixed
number of queries whatever the page (a policy page: two; a calendar page: one)."""

from kefu.core.errors import NotFound, PermissionDenied
from kefu.core.models import BusinessDay
from kefu.core.pagination import Page, keyset_page
from kefu.promises.models import PromisePolicy

POLICY_VIEW = "promises.view_promisepolicy"
CALENDAR_VIEW = "core.view_businessday"


def _policies():
    return PromisePolicy.objects.select_related("product_category", "calendar").prefetch_related("targets")


def policy_page(*, user, active: bool | None = None, cursor: str | None, limit: int | None) -> Page:
    if not user.has_perm(POLICY_VIEW):
        raise PermissionDenied()
    queryset = _policies()
    if active is not None:
        queryset = queryset.filter(active=active)
    return keyset_page(queryset, order=("id",), cursor=cursor, limit=limit)


def policy_detail(*, user, policy_id: int) -> PromisePolicy:
    if not user.has_perm(POLICY_VIEW):
        raise PermissionDenied()
    policy = _policies().filter(pk=policy_id).first()
    if policy is None:
        raise NotFound()
    return policy


def business_day_page(
    *, user, year: int | None = None, provisional: bool | None = None, cursor: str | None, limit: int | None
) -> Page:
    if not user.has_perm(CALENDAR_VIEW):
        raise PermissionDenied()
    queryset = BusinessDay.objects.all()
    if year is not None:
        queryset = queryset.filter(date__year=year)
    if provisional is not None:
        queryset = queryset.filter(provisional=provisional)
    return keyset_page(queryset, order=("date",), cursor=cursor, limit=limit)
