"""The causes Kefu ships with (SPEC §4), seeded after every migrate and then the administrators'
to edit (the admin's pages call complaints.services). Idempotent: a cause already there is left as
it is, so a renamed or hidden cause stays renamed or hidden."""

from kefu.complaints.models import ComplaintCause

# (code, name in the default language) — the code is the tallies' key and never changes.
CAUSES = (
    ("promise_not_kept", "承诺未兑现"),
    ("expectation_gap", "期望落差"),
    ("product_quality", "产品质量"),
    ("attitude", "服务态度"),
    ("delivery_error", "送货差错"),
    ("not_our_fault", "非我方责任"),
    ("other", "其他"),
)


def seed_causes() -> int:
    """Create the shipped causes that are missing; how many were created."""
    existing = set(ComplaintCause.objects.values_list("code", flat=True))
    missing = [
        ComplaintCause(code=code, name=name, sort_order=(index + 1) * 10)
        for index, (code, name) in enumerate(CAUSES)
        if code not in existing
    ]
    ComplaintCause.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)
