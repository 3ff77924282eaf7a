from django.core.management.base import BaseCommand

from kefu.notifications import delivery


class Command(BaseCommand):
    help = (
        "Deliver every due message of the outbox now (what the worker's periodic task does each "
        "minute). Safe to run while a worker runs, or twice at once: each message is sent once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--most", type=int, default=5000, help="Stop after this many messages.")

    def handle(self, *args, most, **options):
        outcome = delivery.drain(most=most)
        self.stdout.write(
            f"sent {outcome.sent}, to retry {outcome.retried}, given up {outcome.dead}, "
            f"put back after a stopped worker {outcome.requeued}"
        )
