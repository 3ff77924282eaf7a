"""The reasons a customer may give for "not satisfied", seeded after every migrate (apps.py,
post_migrate; so also in the demo and every test database), idempotently: a shipped reason is
found by its code and never touched again, so an administrator's edits stay (a reason they do
not want is switched off, not deleted)."""

from kefu.feedback.models import SurveyReason

REASONS = (
    ("slow", "等待时间太长", 10),
    ("not_fixed", "问题没有解决", 20),
    ("promise_broken", "没有按约定的时间", 30),
    ("attitude", "服务态度不好", 40),
    ("charges", "收费不合理", 50),
    ("other", "其他", 90),
)


def seed_defaults() -> int:
    """Create the shipped reasons that are missing (by code); how many were created."""
    existing = set(
        SurveyReason.objects.filter(code__in=[code for code, _n, _o in REASONS]).values_list(
            "code", flat=True
        )
    )
    missing = [
        SurveyReason(code=code, name=name, sort_order=order)
        for code, name, order in REASONS
        if code not in existing
    ]
    SurveyReason.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)
