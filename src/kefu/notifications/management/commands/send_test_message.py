from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from kefu.notifications.kinds import TEST_MESSAGE
from kefu.notifications.services import send_to_customer


class Command(BaseCommand):
    help = (
        "Queue a test e-mail and/or text message through the outbox, to check the e-mail settings "
        "and SMS_GATEWAY. The worker sends it (or run deliver_outbox)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email", default="")
        parser.add_argument("--phone", default="", help="In international form: +8613800000000.")
        parser.add_argument("--language", default="zh-hans", choices=["zh-hans", "en"])

    def handle(self, *args, email, phone, language, **options):
        try:
            with transaction.atomic():
                messages = send_to_customer(
                    kind=TEST_MESSAGE,
                    phone=phone,
                    email=email,
                    language=language,
                    context={"note": "kefu"},
                )
        except ValidationError as refusal:
            raise CommandError(" ".join(refusal.messages)) from None
        ids = ", ".join(f"#{message.pk}" for message in messages)
        self.stdout.write(f"queued {ids}: see the outbox in the admin")
