import datetime
import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from kefu.feedback import services_followups


class Command(BaseCommand):
    help = (
        "Create the missing follow-ups of resolved tickets (the same rules as the tickets' hook, in "
        "one INSERT … SELECT) and the account revisits that are due. Safe to run again and beside "
        "the worker: nothing is written twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=30,
            help="Only tickets resolved in the last N days (default 30); 0: every resolved ticket.",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="Connections sharing the batches (PostgreSQL; default 1): two on two cores halve the time.",
        )
        parser.add_argument("--no-revisits", action="store_true", help="Leave the account revisits alone.")

    def handle(self, *args, **options):
        days = options["days"]
        since = timezone.now() - datetime.timedelta(days=days) if days > 0 else None
        started = time.perf_counter()
        created = services_followups.generate_follow_ups(
            resolved_since=since, workers=max(options["workers"], 1)
        )
        seconds = time.perf_counter() - started
        line = f"follow-ups created {created} in {seconds:.2f} s"
        if not options["no_revisits"]:
            revisits = services_followups.sweep_revisits()
            line += f"; revisits created {revisits.created}, accounts moved on {revisits.moved}"
        self.stdout.write(line)
