"""The API's shapes for surveys (API.md "satisfaction")."""

from django.http import HttpRequest
from ninja import Field, Schema

from kefu.core.api.helpers import LocalDateTime
from kefu.core.api.schema import TEXT_MAX, Page, StrictSchema
from kefu.feedback import links, subjects
from kefu.feedback.models import Survey


class SubjectOut(Schema):
    kind: str = Field(description="What the survey asks about: ticket (later visit, return, care_task).")
    id: int


class AnswerOut(Schema):
    satisfied: bool
    reason: str | None = Field(description="The reason's code, or null.")
    reason_name: str | None
    comment: str
    via: str = Field(description="link (the customer) or call (recorded by staff).")
    answered_at: LocalDateTime
    recorded_by: int | None


class SurveyOut(Schema):
    id: int
    subject: SubjectOut
    ticket: int | None
    customer: int
    url: str | None = Field(description="The customer's link while it can still be answered; null after.")
    created_at: LocalDateTime
    sent_via: str
    sent_at: LocalDateTime | None
    expires_at: LocalDateTime
    answer: AnswerOut | None
    recovery_ticket: int | None = Field(description="The recovery case a “not satisfied” opened.")


class SurveyList(Page[SurveyOut]):
    pass


class AnswerIn(StrictSchema):
    satisfied: bool
    reason: str | None = Field(
        None,
        max_length=32,
        description="A reason's code (the `reasons` of the public survey); with false only.",
    )
    comment: str = Field("", max_length=TEXT_MAX)


class ReasonOut(Schema):
    code: str
    name: str


class PublicSurveyOut(Schema):
    subject: str = Field(description="What the question is about, in words.")
    number: str = Field(description="The ticket's number, when the subject is a ticket.")
    answered: bool
    satisfied: bool | None
    expires_at: LocalDateTime
    reasons: list[ReasonOut]


class PublicAnswerOut(Schema):
    answered: bool
    satisfied: bool
    message: str


def survey_data(survey: Survey, request: HttpRequest | None = None) -> dict:
    answer = None
    if survey.answered_at is not None:
        answer = {
            "satisfied": survey.is_satisfied,
            "reason": survey.reason.code if survey.reason_id else None,
            "reason_name": survey.reason.name if survey.reason_id else None,
            "comment": survey.comment,
            "via": survey.answered_via,
            "answered_at": survey.answered_at,
            "recorded_by": survey.recorded_by_id,
        }
    return {
        "id": survey.pk,
        "subject": {"kind": survey.subject_kind, "id": survey.subject_id},
        "ticket": survey.ticket_id,
        "customer": survey.customer_id,
        "url": links.absolute(survey, request) if survey.answered_at is None else None,
        "created_at": survey.created_at,
        "sent_via": survey.sent_via,
        "sent_at": survey.sent_at,
        "expires_at": survey.expires_at,
        "answer": answer,
        "recovery_ticket": survey.recovery_ticket_id,
    }


def public_survey_data(survey: Survey, reasons: list) -> dict:
    return {
        "subject": subjects.label(survey.subject_kind),
        "number": survey.ticket.number if survey.ticket_id else "",
        "answered": survey.answered_at is not None,
        "satisfied": survey.is_satisfied,
        "expires_at": survey.expires_at,
        "reasons": [{"code": reason.code, "name": reason.name} for reason in reasons],
    }
