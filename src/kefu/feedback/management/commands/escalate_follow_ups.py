from django.core.management.base import BaseCommand

from kefu.feedback import services_followups


class Command(BaseCommand):
    help = (
        "Escalate the follow-ups past their due date, once each: their team's supervisor (else the "
        "managers) is told through the notifications outbox. What the worker does each hour."
    )

    def handle(self, *args, **options):
        result = services_followups.escalate_overdue()
        self.stdout.write(f"escalated {result.escalated}; people told {result.notified}")
