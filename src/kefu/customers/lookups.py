"""The hotline's lookup by a whole phone number: audited for everyone, limited for those who
may not see numbers.

A masked number (133****5518) hides four digits: ten thousand candidates. Whoever may search by
a whole number could try them one by one and learn the hidden digits from which one finds the
customer. So each lookup by a whole number leaves an audit row (who, when, which number,
redacted), and a person without the right to see numbers (`customers.reveal_phone` or
`customers.view_full_phone`) may make only so many per hour and per day: at the defaults, 20 an
hour and 100 a day, finding one number takes weeks, never minutes. Agents, who may reveal
numbers anyway, are never held back: a caller's number typed at the hotline always answers at
once. Searching by the last four digits or a name shows nothing hidden and is not limited.

The audit rows are the counter, so the limit holds across every web process.
"""

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Aggregate, Count, Min, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.core import audit
from kefu.core.errors import TooManyRequests
from kefu.core.masking import mask_phone, redact_phone
from kefu.core.models import AuditAction, AuditEvent
from kefu.customers import privacy
from kefu.customers.models import Customer
from kefu.customers.selectors import search_kind

HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


class TooManyLookups(TooManyRequests):
    code = "too_many_lookups"
    default_message = _(
        "You have looked up many whole phone numbers in a short time. Search by the last four "
        "digits or the name, or try again later."
    )


def may_look_up_freely(user) -> bool:
    """Whoever may see numbers gains nothing by guessing them."""
    return privacy.may_reveal(user)


def limits() -> Iterable[tuple[datetime.timedelta, int]]:
    return ((HOUR, settings.KEFU_PHONE_LOOKUPS_PER_HOUR), (DAY, settings.KEFU_PHONE_LOOKUPS_PER_DAY))


def _wait(user, now: datetime.datetime) -> int | None:
    """Seconds until `user` may look up a whole number again; None when they may now."""
    rows = AuditEvent.objects.filter(actor=user, action=AuditAction.LOOKUP, at__gte=now - DAY)
    measures: dict[str, Aggregate] = {}
    for index, (span, _limit) in enumerate(limits()):
        in_window = Q(at__gte=now - span)
        measures[f"count{index}"] = Count("id", filter=in_window)
        measures[f"oldest{index}"] = Min("at", filter=in_window)
    counted = rows.aggregate(**measures)  # one query for every window
    waits = [
        (counted[f"oldest{index}"] + span - now).total_seconds()
        for index, (span, limit) in enumerate(limits())
        if counted[f"count{index}"] >= limit
    ]
    return int(max(waits)) + 1 if waits else None


def record_phone_lookup(*, by, text: str, now: datetime.datetime | None = None) -> None:
    """Call before searching for `text`: when it is a whole phone number, refuse (TooManyLookups,
    HTTP 429) a person over their limit, and write the audit row of the lookup. Any other text
    costs nothing."""
    kind, number = search_kind(text)
    if kind == "phone":
        # Only a transaction of its own may skip the wait for the disk (see _record).
        _record(by, number, now or timezone.now(), own_transaction=not connection.in_atomic_block)


@transaction.atomic
def _record(by, number: str, now: datetime.datetime, *, own_transaction: bool) -> None:
    if own_transaction and connection.vendor == "postgresql":
        # The hotline waits for this row: do not make it wait for the disk as well. A database
        # crash in the fraction of a second after a lookup may lose its row; nothing else is in
        # this transaction (and every other write keeps the server's durable default).
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
    if not may_look_up_freely(by):
        # One lookup at a time per person, so that parallel requests cannot slip past the count.
        get_user_model().objects.select_for_update().filter(pk=by.pk).first()
        wait = _wait(by, now)
        if wait is not None:
            raise TooManyLookups(retry_after=wait)
    audit.record_lookup(
        actor=by, model=Customer, shown_as=mask_phone(number), changes={"phone": redact_phone(number)}
    )
