"""Every write to surveys and their recovery cases (SPEC §5; decisions 0030, 0031).

- `create_survey`: one survey per subject (a unique constraint: resolving, reopening and
  resolving again asks once), with the subject's dimensions frozen as they are now.
- `send_survey`: the link to the customer through the notifications outbox (SMS, else e-mail),
  written in the caller's transaction and sent after the commit.
- `record_survey_answer`: the answer, by the customer's link or recorded by an agent during a
  call. A conditional UPDATE … WHERE answered_at IS NULL is the single-use guarantee: of two
  answers at once, one writes and the other is refused (AlreadyAnswered, 409) with nothing
  written. The winner alone counts the answer in the tallies, moves the customer's mood and — for
  a "not satisfied" — opens the recovery case, so a recovery case is opened exactly once
  (`recovery_ticket` is unique besides).
- The recovery case: a complaint-type ticket, priority high, owned by the supervisor of the team
  that served the customer (decision 0031 for the fallbacks), related to the original ticket,
  with the customer's reason and words on top of its description. Its promise comes from the
  promises app's hook on every opened ticket (the complaint policy).
"""

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kefu.core import audit
from kefu.core.errors import Conflict
from kefu.core.validation import TEXT_MAX, FieldErrors
from kefu.feedback import links, notices, subjects, tallies, timeline
from kefu.feedback.models import AnsweredVia, CustomerMood, SentVia, Survey, SurveyReason
from kefu.notifications.services import send_to_customer
from kefu.tickets import services as ticket_services
from kefu.tickets.models import Channel, LinkKind, Priority, Status, Ticket, TicketType

ANSWER_FIELDS = ("answered_at", "is_satisfied", "reason", "comment", "answered_via", "recorded_by")
SURVEY_MESSAGE = "feedback.survey"
RECOVERY_SUBJECT_MAX = 200


class AlreadyAnswered(Conflict):
    code = "already_answered"
    default_message = _("This survey has already been answered. Thank you: an answer cannot be changed.")


class RecoveryCaseExists(Conflict):
    code = "recovery_case_exists"
    default_message = _("This survey already has its recovery case.")


# --- Creating and sending -----------------------------------------------------------------------


@transaction.atomic
def create_survey(
    *, subject_kind: str, subject_id: int, at: datetime.datetime | None = None
) -> Survey | None:
    """The survey of a subject, created once: a second call for the same subject returns the
    first survey unchanged. None when the subject does not exist (or names no customer).
    LookupError for a kind no app registered (a programming error, not input)."""
    kind = subjects.get(subject_kind)
    existing = Survey.objects.filter(subject_kind=subject_kind, subject_id=subject_id).first()
    if existing is not None:
        return existing
    facts = kind.read(subject_id)
    if facts is None or facts.customer is None:
        return None
    now = at or timezone.now()
    survey = Survey(
        subject_kind=subject_kind,
        subject_id=subject_id,
        ticket=facts.ticket,
        customer=facts.customer,
        agent_id=facts.agent_id,
        technician_id=facts.technician_id,
        team_id=facts.team_id,
        region=facts.region[:20],
        category=facts.category[:32],
        channel=facts.channel[:16],
        created_at=now,
        expires_at=now + links.lifetime(),
    )
    try:
        with transaction.atomic():  # a savepoint: a parallel creation of the same subject won
            survey.save(force_insert=True)
    except IntegrityError:
        return Survey.objects.get(subject_kind=subject_kind, subject_id=subject_id)
    if survey.ticket is not None:
        timeline.write(survey.ticket, timeline.SURVEY_CREATED, at=now, data={"survey": survey.pk})
    return survey


def _customer_address(survey: Survey) -> tuple[str, str]:
    """The customer's primary phone (E.164) and e-mail, either may be ""."""
    customer = survey.customer
    phone = (
        customer.phones.order_by("-is_primary", "id").values_list("number", flat=True).first() or ""  # type: ignore[attr-defined]
    )
    return phone, customer.email or ""


@transaction.atomic
def send_survey(*, survey: Survey, request=None) -> Survey:
    """Send the survey's link to its customer: a text message to their primary phone, else an
    e-mail, else nothing (sent_via "none": an agent can still record the answer by phone).
    A survey already sent or answered is left alone. Written in the caller's transaction; the
    outbox delivers after the commit."""
    if survey.sent_at is not None or survey.answered_at is not None:
        return survey
    phone, email = _customer_address(survey)
    if not phone and not email:
        return survey
    context = {
        "link": links.link_path(survey),
        "subject": subjects.label(survey.subject_kind),
        "number": survey.ticket.number if survey.ticket is not None else "",
    }
    send_to_customer(kind=SURVEY_MESSAGE, phone=phone, email="" if phone else email, context=context)
    now = timezone.now()
    survey.sent_via = SentVia.SMS if phone else SentVia.EMAIL
    survey.sent_at = now
    survey.save(update_fields=["sent_via", "sent_at"])
    if survey.ticket is not None:
        timeline.write(
            survey.ticket, timeline.SURVEY_SENT, at=now, data={"survey": survey.pk, "via": survey.sent_via}
        )
    return survey


def ask_after_ticket(ticket: Ticket) -> Survey | None:
    """The tickets' hook's part: a resolved ticket's survey, created once and sent."""
    survey = create_survey(subject_kind=subjects.TICKET, subject_id=ticket.pk)
    if survey is not None and survey.sent_at is None and survey.answered_at is None:
        send_survey(survey=survey)
    return survey


# --- Answering ----------------------------------------------------------------------------------


def _check_reason(errors: FieldErrors, reason, satisfied) -> SurveyReason | None:
    """The reason as a row: an offered SurveyReason, or its code; only with "not satisfied"."""
    if reason in (None, ""):
        return None
    if satisfied is True:
        errors.add("reason", _("A reason is given only with “not satisfied”."))
        return None
    if isinstance(reason, SurveyReason):
        found = SurveyReason.objects.filter(pk=reason.pk, is_active=True).first()
    elif isinstance(reason, str) and len(reason) <= 32:
        found = SurveyReason.objects.filter(code=reason, is_active=True).first()
    else:
        found = None
    if found is None:
        errors.add("reason", _("Choose one of the reasons offered."))
    return found


def _check_answer(*, survey, satisfied, reason, comment, via, by) -> tuple[SurveyReason | None, str]:
    errors = FieldErrors()
    if not isinstance(survey, Survey) or survey.pk is None:
        errors.add("survey", _("Choose the survey."))
    if not isinstance(satisfied, bool):
        errors.add("satisfied", _("Say whether the customer is satisfied."))
    errors.choice("via", via, AnsweredVia)
    if via == AnsweredVia.CALL and audit.acting_user(by) is None:
        errors.add("via", _("An answer from a call is recorded by a member of staff."))
    if not isinstance(comment, str):
        errors.add("comment", _("Enter text."))
        comment = ""
    comment = comment.strip()
    errors.length("comment", comment, TEXT_MAX)
    if "\x00" in comment:
        errors.add("comment", _("The text contains a character that is not allowed."))
    found = _check_reason(errors, reason, satisfied)
    errors.raise_if_any()
    return found, comment


@transaction.atomic
def record_survey_answer(
    *,
    survey: Survey,
    satisfied: bool,
    reason: SurveyReason | str | None = None,
    comment: str = "",
    via: str,
    by=None,
) -> Survey:
    """Record the one answer of `survey` and act on it. `via` "link" (the customer; the link must
    not have expired) or "call" (a member of staff `by`, during a call; no expiry).

    Refused, with nothing written: a bad field (ValidationError naming it: an unknown or
    inactive reason, a reason with "satisfied", an over-long comment), an expired link
    (SurveyLinkExpired, 410), an answer already given (AlreadyAnswered, 409: also the loser of two
    answers at once). A "not satisfied" opens its recovery case in the same transaction."""
    found, comment = _check_answer(
        survey=survey, satisfied=satisfied, reason=reason, comment=comment, via=via, by=by
    )
    now = timezone.now()
    if via == AnsweredVia.LINK and survey.expires_at <= now:
        if survey.answered_at is not None:
            raise AlreadyAnswered()
        raise SurveyLinkExpired()
    recorded_by = audit.acting_user(by) if via == AnsweredVia.CALL else None
    # The single-use guarantee: only the first answer finds answered_at empty (on PostgreSQL a
    # second UPDATE waits for the first and re-reads the row after it commits).
    written = Survey.objects.filter(pk=survey.pk, answered_at__isnull=True).update(
        answered_at=now,
        is_satisfied=satisfied,
        reason=found,
        comment=comment,
        answered_via=via,
        recorded_by=recorded_by,
    )
    if not written:
        raise AlreadyAnswered()
    before = audit.snapshot(survey, ANSWER_FIELDS)
    survey.refresh_from_db()
    tallies.count_answer(survey)
    audit.record_update(actor=by, obj=survey, before=before)
    if survey.ticket is not None:
        timeline.write(
            survey.ticket,
            timeline.SURVEY_ANSWERED,
            at=now,
            by=by,
            data={
                "survey": survey.pk,
                "satisfied": satisfied,
                "reason": found.name if found else "",
                "via": via,
            },
        )
    if not satisfied:
        open_recovery_case(survey=survey, by=by)
    # After the case (a complaint, which marks the customer unhappy with itself): the customer
    # was unhappy with the ticket they were asked about.
    _move_mood(survey)
    return survey


def _move_mood(survey: Survey) -> None:
    """The customer's last unhappy or happy moment (customers at risk), one upsert."""
    if survey.is_satisfied:
        row = CustomerMood(customer_id=survey.customer_id, last_happy_at=survey.answered_at)
        fields = ["last_happy_at"]
    else:
        row = CustomerMood(
            customer_id=survey.customer_id,
            last_unhappy_at=survey.answered_at,
            unhappy_ticket_id=survey.ticket_id,
        )
        fields = ["last_unhappy_at", "unhappy_ticket"]
    CustomerMood.objects.bulk_create(
        [row], update_conflicts=True, unique_fields=["customer"], update_fields=fields
    )


def complaint_opened(ticket: Ticket) -> None:
    """A complaint is an unhappy moment too (customers at risk): the tickets' hook calls this when
    a ticket opens as, or becomes, a complaint. One upsert, in the ticket's transaction."""
    CustomerMood.objects.bulk_create(
        [
            CustomerMood(
                customer_id=ticket.customer_id, last_unhappy_at=ticket.created_at, unhappy_ticket=ticket
            )
        ],
        update_conflicts=True,
        unique_fields=["customer"],
        update_fields=["last_unhappy_at", "unhappy_ticket"],
    )


# --- The recovery case --------------------------------------------------------------------------


def recovery_owner(survey: Survey):
    """Who owns a recovery case (decision 0031): the supervisor of the team that served the
    customer (the survey's team, frozen when it was created); else the supervisor of the team
    that has the original ticket now; else None — the case waits in the unassigned queue, where
    every supervisor sees it, and the managers are told."""
    from kefu.accounts.models import Team

    team_ids = [survey.team_id, survey.ticket.team_id if survey.ticket is not None else None]
    for team_id in team_ids:
        if team_id is None:
            continue
        team = Team.objects.select_related("supervisor").filter(pk=team_id).first()
        if team is not None and team.supervisor is not None and team.supervisor.is_active:
            return team.supervisor
    return None


def recovery_description(survey: Survey) -> str:
    """The customer's words first, then what the case is about (in the site's language)."""
    lines = [gettext("The customer said: not satisfied.")]
    if survey.reason is not None:
        lines.append(gettext("Reason: %(reason)s") % {"reason": survey.reason.name})
    if survey.comment:
        lines.append(gettext("In their words: %(comment)s") % {"comment": survey.comment})
    lines.append("")
    if survey.ticket is not None:
        lines.append(
            gettext("Survey after ticket %(number)s “%(subject)s”.")
            % {"number": survey.ticket.number, "subject": survey.ticket.subject}
        )
    else:
        lines.append(gettext("Survey about %(subject)s.") % {"subject": subjects.label(survey.subject_kind)})
    return "\n".join(lines)[:TEXT_MAX]


@transaction.atomic
def open_recovery_case(*, survey: Survey, by=None) -> Ticket:
    """Open the recovery case of a "not satisfied" survey (called by record_survey_answer in its
    transaction, once per survey). RecoveryCaseExists (409), with nothing written, if the survey
    has one already: never twice (the conditional update below is the backstop under races)."""
    if Survey.objects.filter(pk=survey.pk, recovery_ticket__isnull=False).exists():
        raise RecoveryCaseExists()
    owner = recovery_owner(survey)
    original = survey.ticket
    # Written for the staff who work it: in the site's language, whoever answered in which.
    with translation.override(settings.LANGUAGE_CODE):
        about = original.subject if original is not None else subjects.label(survey.subject_kind)
        subject = (gettext("Recovery: %(subject)s") % {"subject": about})[:RECOVERY_SUBJECT_MAX]
        description = recovery_description(survey)
    case = ticket_services.open_ticket(
        by=by,
        customer=survey.customer,
        subject=subject,
        type=TicketType.COMPLAINT,
        channel=Channel.SYSTEM,
        priority=Priority.HIGH,
        description=description,
        product=original.product if original is not None else None,
        owner=owner,
        status=Status.OPEN if owner is not None else Status.NEW,
    )
    updated = Survey.objects.filter(pk=survey.pk, recovery_ticket__isnull=True).update(recovery_ticket=case)
    if not updated:
        raise RecoveryCaseExists()  # rolls back the case just opened
    survey.recovery_ticket = case
    if original is not None:
        ticket_services.link_tickets(ticket=case, to_ticket=original, kind=LinkKind.RELATED, by=by)
        timeline.write(
            original,
            timeline.RECOVERY_OPENED,
            at=case.created_at,
            by=by,
            data={"survey": survey.pk, "case": case.pk, "case_number": case.number},
        )
    notices.recovery_opened(case=case, owner=owner)
    return case


SurveyLinkExpired = links.SurveyLinkExpired  # raised here, defined with the links
