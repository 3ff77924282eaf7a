"""The surveys' part of the demo data (`make run`): the resolved demo tickets already have their
surveys (the tickets' hook made and sent them); this step answers a few of them through the
service, both ways — most satisfied, some by the customer's link and some recorded in a call —
and two "not satisfied", whose recovery cases open for the team's supervisor: one still open in
the recovery queue, one already put right (resolved). Idempotent: nothing is added when a survey
is answered already."""

import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from kefu.core import generation

SATISFIED = 6
COMMENTS_HAPPY = ("师傅很专业，还帮我清洗了滤网", "", "上门很准时，谢谢", "")
UNHAPPY = (
    ("promise_broken", "约好上午十点，下午三点才来，也没提前打电话"),
    ("not_fixed", "修完第二天又不制冷了"),
)


def load_demo(counts, seed: int | None) -> list[str]:
    from kefu.feedback import links, services
    from kefu.feedback.models import Survey
    from kefu.tickets import services as ticket_services

    if Survey.objects.filter(answered_at__isnull=False).exists():
        return ["There are answered surveys already: no demo answers added."]
    rng = random.Random(seed)
    waiting = list(Survey.objects.filter(answered_at__isnull=True).order_by("id")[: SATISFIED + len(UNHAPPY)])
    if not waiting:
        return ["Surveys: no resolved ticket to ask about."]
    # The demo's tickets were resolved in the past (its clock was moved back): their links are
    # made to open until the usual lifetime from now, as if the message had just been sent.
    Survey.objects.filter(pk__in=[survey.pk for survey in waiting]).update(
        expires_at=timezone.now() + links.lifetime()
    )
    for survey in waiting:
        survey.refresh_from_db()
    agent = get_user_model().objects.filter(username="agent", is_active=True).first()
    happy = 0
    for index, survey in enumerate(waiting[:SATISFIED]):
        by_call = agent is not None and index % 3 == 2
        services.record_survey_answer(
            survey=survey,
            satisfied=True,
            comment=rng.choice(COMMENTS_HAPPY),
            via="call" if by_call else "link",
            by=agent if by_call else None,
        )
        happy += 1
    cases = []
    for survey, (reason, words) in zip(waiting[SATISFIED:], UNHAPPY, strict=False):
        services.record_survey_answer(
            survey=survey, satisfied=False, reason=reason, comment=words, via="link"
        )
        survey.refresh_from_db()
        cases.append(survey.recovery_ticket)
    if len(cases) > 1:  # the second one was put right already
        case = cases[1]
        owner = case.owner
        ticket_services.add_comment(
            ticket=case, by=owner, body="已致电客户道歉，安排师傅第二天上门复修，客户表示接受。", public=False
        )
        ticket_services.transition_ticket(ticket=case, by=owner, status="resolved")
    return [f"Surveys: {happy} satisfied, {len(cases)} not satisfied ({len(cases[:1])} recovery case open)."]


DEMO_STEP = generation.DemoStep(name="surveys", options=(), load=load_demo)


def register() -> None:
    if DEMO_STEP.name not in generation.DEMO_STEPS:
        generation.register_demo_step(DEMO_STEP)
