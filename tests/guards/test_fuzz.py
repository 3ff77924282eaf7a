"""Every operation of the public API, fuzzed in-process with schemathesis.

The schema is read from the running application, so an operation is fuzzed the day it is
written. Each operation gets a bounded number of generated requests (valid ones and ones that
break the schema on purpose), sent as a superuser who may do everything, through the whole
middleware stack to the real database. Every answer must be no 5xx, a status the operation
documents, the declared content type and a body that matches the schema; a request that breaks
the schema must be refused.

`FUZZ_EXAMPLES` sets the examples per operation (default below); the run is derandomised so
that CI is repeatable. A longer, random run against a live server: docs/testing.md.
"""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kefu.accounts.services import issue_token
from kefu.complaints import services_problems
from kefu.customers import services
from kefu.feedback.models import FollowUp, Survey
from kefu.notifications.models import Notification
from kefu.promises.models import PromisePolicy, WorkCalendar
from kefu.tickets import services as ticket_services
from kefu.wsgi import application
from tests.factories import ProductModelFactory, make_user

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def one_connection():
    """Requests here reach Django's own WSGI handler, which closes the database connection after
    each answer; inside a test's transaction that must wait (Django's test client does the same)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def world(db, one_connection):
    """A superuser with a token, and records for the generated ids to hit now and then."""
    admin = make_user(None, username="fuzz-admin", is_staff=True, is_superuser=True)
    _token, raw = issue_token(user=admin)
    customer = services.create_customer(
        by=admin,
        name="陈女士",
        phones=["13812345678", "13312345518"],
        addresses=[{"province": "湖北省", "city": "武汉市", "district": "洪山区", "detail": "珞喻路 1 号"}],
    )
    product = services.register_product(
        by=admin, customer=customer, model=ProductModelFactory(), purchased_on=customer.created_at.date()
    )
    other_token, _raw = issue_token(user=admin, name="second")
    notification = Notification.objects.create(recipient=admin, kind="notifications.test", title="测试通知")
    # A second record of the same person, for the merge to take in (body field `from`).
    duplicate = services.create_customer(
        by=admin, name="陈女士", phones=["13812345678"], allow_duplicate_phone=True
    )
    # Tickets of that customer: one to act on (by id or number in the path), one to link or merge
    # into, and a colleague to transfer to or ask for help.
    ticket = ticket_services.open_ticket(
        by=admin, customer=customer, product=product, subject="空调不制冷", type="repair", channel="phone"
    )
    original = ticket_services.open_ticket(
        by=admin, customer=customer, subject="空调不制冷", type="repair", channel="phone"
    )
    colleague = make_user("agent", username="fuzz-colleague")
    # A resolved ticket: its satisfaction survey to read and answer (surveys/{survey}).
    resolved = ticket_services.open_ticket(
        by=admin, customer=customer, subject="洗衣机漏水", type="repair", channel="phone"
    )
    ticket_services.transition_ticket(ticket=resolved, by=admin, status="resolved")
    # A complaint to classify and compensate, and a problem to change, link to and close.
    complaint = ticket_services.open_ticket(
        by=admin, customer=customer, subject="送错型号", type="complaint", channel="phone"
    )
    problem = services_problems.create_problem(by=admin, title="沙漠站点老鼠咬断光缆", owner=admin)
    return {
        "headers": {"Authorization": f"Bearer {raw}"},
        "ids": {
            "customer_id": customer.pk,
            "product_id": product.pk,
            "token_id": other_token.pk,
            "notification_id": notification.pk,
            "ticket": ticket.pk,
            "ticket_ref": ticket.pk,  # the portal's operations name it so
            "policy": PromisePolicy.objects.order_by("id").values_list("id", flat=True).first(),
            "survey": Survey.objects.get(ticket=resolved).pk,
            # Its follow-up (回访), the superuser's own: to read and record the outcome of.
            "follow_up": FollowUp.objects.get(ticket=resolved).pk,
            "problem": problem.pk,
        },
        "body_ids": {
            "from": duplicate.pk,
            "customer": customer.pk,
            "product": product.pk,
            "owner": colleague.pk,
            "to_user": colleague.pk,
            "user": colleague.pk,
            "to_ticket": original.pk,
            "into": original.pk,
            "calendar": WorkCalendar.objects.order_by("id").values_list("id", flat=True).first(),
            "approved_by": admin.pk,
            "ticket": complaint.pk,
        },
    }


def aim_at_real_records(case, ids: dict, body_ids: dict) -> None:
    """Half of the generated ids (the odd ones) become ids of real records, so that the fuzzer
    reaches past the 404 (or the body's 422) into the operations themselves; the choice follows
    the generated data, so a failing example stays reproducible."""
    for name, real in ids.items():
        value = (case.path_parameters or {}).get(name)
        if _aimable(value):
            case.path_parameters[name] = real if isinstance(value, int) else str(real)
    for name, real in body_ids.items():
        value = case.body.get(name) if isinstance(case.body, dict) else None
        if _aimable(value):
            case.body[name] = real if isinstance(value, int) else str(real)


def _aimable(value) -> bool:
    """An odd id that is a valid one: an id that breaks the schema on purpose (0, -3) must stay
    as it is, or the fuzzer would see its refusal answered with the real record. A ticket is
    named by a text (its id or its number): an odd id written in digits counts too."""
    if isinstance(value, str) and value.isascii() and value.isdecimal() and not value.startswith("0"):
        value = int(value)
    return isinstance(value, int) and not isinstance(value, bool) and value > 0 and value % 2 == 1


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("FUZZ_RANDOM") is None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_survives_the_fuzzer(case, world):
    aim_at_real_records(case, world["ids"], world["body_ids"])
    case.call_and_validate(headers=world["headers"], checks=CHECKS)
