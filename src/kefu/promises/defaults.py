"""The calendars and promise policies Kefu ships with: what a Chinese appliance brand advertises.

Seeded after every migrate (apps.py, post_migrate; so also in the demo and in every test
database), idempotently: a shipped record is found by its code and never touched again, so an
administrator's edits stay (a default they do not want is deactivated, not deleted). A policy
about a product category is skipped while that category does not exist.

Minutes are on the policy's calendar: on the 24/7 calendar 1440 minutes are a day; on the
working-hours calendar (Monday to Friday 09:00–18:00, closed on public holidays, open on
adjusted working days) 540 minutes are a working day.
"""

import datetime
import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from kefu.customers.models import ProductCategory
from kefu.promises.models import CalendarKind, PromisePolicy, WorkCalendar, WorkingHours

log = logging.getLogger(__name__)

ALWAYS = "always"
WORKING_HOURS = "working_hours"

CALENDARS = {
    ALWAYS: {"name": "全天候（7×24小时）", "kind": CalendarKind.ALWAYS},
    WORKING_HOURS: {
        "name": "工作时间（周一至周五 9:00–18:00，节假日除外）",
        "kind": CalendarKind.WORKING_HOURS,
    },
}
WORKING_DAY = (datetime.time(9, 0), datetime.time(18, 0))

HOUR = 60
DAY = 24 * HOUR
WORKING_HOUR = 60

# code: the policy. Order matters only for the ids (the last tie-break, policies.precedence).
POLICIES: dict[str, dict] = {
    "standard": {
        "name": "标准服务承诺",
        "description": "所有工单：工作时间内4小时首次响应，5个工作日内解决。",
        "calendar": WORKING_HOURS,
        "targets": {"first_response": 4 * WORKING_HOUR, "resolution": 5 * 9 * WORKING_HOUR},
    },
    "consultation": {
        "name": "咨询服务承诺",
        "description": "咨询：工作时间内30分钟首次响应，1个工作日内答复完毕。",
        "ticket_type": "consultation",
        "calendar": WORKING_HOURS,
        "targets": {"first_response": 30, "resolution": 9 * WORKING_HOUR},
    },
    "repair": {
        "name": "报修服务承诺",
        "description": "报修：4小时内联系用户，24小时内上门，72小时内修复。",
        "ticket_type": "repair",
        "calendar": ALWAYS,
        "targets": {"first_response": 4 * HOUR, "arrival": 1 * DAY, "resolution": 3 * DAY},
    },
    "installation": {
        "name": "安装服务承诺",
        "description": "安装：4小时内联系用户，48小时内上门安装。",
        "ticket_type": "installation",
        "calendar": ALWAYS,
        "targets": {"first_response": 4 * HOUR, "arrival": 2 * DAY, "resolution": 3 * DAY},
    },
    "complaint": {
        "name": "投诉处理承诺",
        "description": "投诉：2小时内回应，48小时内给出处理结果。",
        "ticket_type": "complaint",
        "calendar": ALWAYS,
        "targets": {"first_response": 2 * HOUR, "resolution": 2 * DAY},
        "escalate_director_after": 2 * HOUR,
        "escalate_hq_after": 12 * HOUR,
    },
    "urgent_repair": {
        "name": "紧急报修7×24小时承诺",
        "description": "紧急报修：全天候2小时响应，8小时内上门，24小时内修复。",
        "ticket_type": "repair",
        "priority": "urgent",
        "calendar": ALWAYS,
        "targets": {"first_response": 2 * HOUR, "arrival": 8 * HOUR, "resolution": 1 * DAY},
        "escalate_director_after": 1 * HOUR,
        "escalate_hq_after": 4 * HOUR,
    },
    "vip_repair": {
        "name": "VIP用户报修承诺",
        "description": "VIP用户报修：1小时内联系，12小时内上门，48小时内修复。",
        "ticket_type": "repair",
        "customer_tier": "vip",
        "calendar": ALWAYS,
        "targets": {"first_response": 1 * HOUR, "arrival": 12 * HOUR, "resolution": 2 * DAY},
    },
    "summer_air_conditioner_repair": {
        "name": "夏季空调报修承诺",
        "description": (
            "夏季（6月1日–8月31日）空调报修：全天候30分钟内联系，2小时内上门，24小时内修复——高温天等不起。"
        ),
        "ticket_type": "repair",
        "product_category": "air_conditioner",
        "season_start": "06-01",
        "season_end": "08-31",
        "calendar": ALWAYS,
        "targets": {"first_response": 30, "arrival": 2 * HOUR, "resolution": 1 * DAY},
        "escalate_director_after": 1 * HOUR,
        "escalate_hq_after": 4 * HOUR,
    },
}


@transaction.atomic
def seed_defaults() -> dict[str, int]:
    """Create the shipped calendars and policies that are missing (by code). Returns counts."""
    from kefu.promises import services_policies

    calendars = {calendar.code: calendar for calendar in WorkCalendar.objects.filter(code__in=CALENDARS)}
    added_calendars = 0
    for code, spec in CALENDARS.items():
        if code in calendars:
            continue
        calendar = WorkCalendar.objects.filter(name=spec["name"]).first()
        if calendar is None:
            calendar = WorkCalendar.objects.create(code=code, name=spec["name"], kind=spec["kind"])
            if spec["kind"] == CalendarKind.WORKING_HOURS:
                WorkingHours.objects.bulk_create(
                    [
                        WorkingHours(
                            calendar=calendar, weekday=weekday, start=WORKING_DAY[0], end=WORKING_DAY[1]
                        )
                        for weekday in range(5)
                    ]
                )
            added_calendars += 1
        calendars[code] = calendar
    existing = set(PromisePolicy.objects.filter(code__in=POLICIES).values_list("code", flat=True))
    categories = {category.code: category for category in ProductCategory.objects.all()}
    added_policies = 0
    for code, spec in POLICIES.items():
        if code in existing:
            continue
        values: dict[str, Any] = dict(spec)
        category_code = values.pop("product_category", None)
        if category_code is not None:
            if category_code not in categories:
                continue
            values["product_category"] = categories[category_code]
        if PromisePolicy.objects.filter(name=values["name"]).exists():
            continue
        values["calendar"] = calendars[values["calendar"]]
        try:
            with transaction.atomic():
                services_policies.create_policy(by=None, code=code, audited=False, **values)
        except ValidationError as refusal:
            # An administrator's own policy already covers these tickets: theirs stays.
            log.warning("promises: shipped policy %s not added: %s", code, refusal.messages)
            continue
        added_policies += 1
    if added_calendars or added_policies:
        log.info("promises: %s calendars and %s policies seeded", added_calendars, added_policies)
    return {"calendars": added_calendars, "policies": added_policies}
