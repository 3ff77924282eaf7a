"""The customer's survey link: `/s/<token>/`, single use, expiring (decision 0030).

The token is the survey's id signed with the secret key (django.core.signing.Signer, salt
"kefu.feedback.survey"): a changed character opens nothing (SurveyLinkNotFound, a 404 worded like
the portal's). Expiry and single use are the survey row's, not the token's: `expires_at` is
stored when the survey is created (settings.KEFU_SURVEY_LINK_DAYS, 14 by default), so an old link
can say plainly that it expired (SurveyLinkExpired, 410 Gone) rather than look tampered; and the
answer is written by a conditional update (`answered_at IS NULL`), so a second answer through the
same link is refused (services.AlreadyAnswered, 409) and writes nothing.
"""

import datetime

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kefu.core.errors import DomainError, NotFound
from kefu.core.links import absolute_url
from kefu.feedback.models import Survey

SALT = "kefu.feedback.survey"
DEFAULT_DAYS = 14
# An id of up to 19 digits, a colon and the signature.
TOKEN_MAX = 80
TOKEN_PATTERN = r"^[0-9A-Za-z:_-]+$"


class SurveyLinkNotFound(NotFound):
    code = "link_not_found"
    default_message = _(
        "This link is wrong or has expired. Ask us for a new one, or call the service hotline."
    )


class SurveyLinkExpired(DomainError):
    status = 410
    code = "link_expired"
    default_message = _(
        "This survey link has expired. Thank you all the same: if something is wrong, "
        "call the service hotline."
    )


def lifetime() -> datetime.timedelta:
    return datetime.timedelta(days=int(getattr(settings, "KEFU_SURVEY_LINK_DAYS", DEFAULT_DAYS)))


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT)


def make_token(survey: Survey) -> str:
    return _signer().sign(str(survey.pk))


def link_path(survey: Survey) -> str:
    return reverse("survey:page", kwargs={"token": make_token(survey)})


def absolute(survey: Survey, request=None) -> str:
    return absolute_url(link_path(survey), request)


def open_link(token: str) -> Survey:
    """The survey a token names, answered or not, expired or not (the caller decides what each
    means); SurveyLinkNotFound for a tampered or unknown token. Reads only."""
    if not token or len(token) > TOKEN_MAX:
        raise SurveyLinkNotFound()
    try:
        value = _signer().unsign(token)
    except signing.BadSignature:
        raise SurveyLinkNotFound() from None
    if not value.isdecimal() or not value.isascii() or len(value) > 18:
        raise SurveyLinkNotFound()
    survey = Survey.objects.select_related("ticket", "reason").filter(pk=int(value)).first()
    if survey is None:
        raise SurveyLinkNotFound()
    return survey
