"""Where surveys show on the ticket's page (tickets.page_parts, the side column): the survey asked
after the ticket — its answer, or a small form to record the answer heard in a call — and, on a
recovery case, what the customer said and the ticket it is about. Registered from wiring_surveys.
"""

from django.utils import timezone

from kefu.feedback import selectors
from kefu.tickets import page_parts


def _side(request, ticket):
    survey = selectors.ticket_survey(ticket)
    recovery = selectors.recovery_for(ticket)
    if survey is None and recovery is None:
        return None
    user = request.user
    return {
        "survey": survey,
        "recovery": recovery,
        "expired": survey is not None and survey.expires_at <= timezone.now(),
        "can_record": survey is not None
        and survey.answered_at is None
        and selectors.may_record_answers(user),
        "reasons": selectors.offered_reasons() if survey is not None and survey.answered_at is None else [],
    }


def register() -> None:
    page_parts.register_part(
        page_parts.Part(
            key="feedback.survey",
            slot=page_parts.SIDE,
            template="feedback/parts/ticket_survey.html",
            order=20,
            shows_for=selectors.may_view_surveys,
            context=_side,
        )
    )
