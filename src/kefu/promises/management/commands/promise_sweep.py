import time

from django.core.management.base import BaseCommand

from kefu.promises import sweep


class Command(BaseCommand):
    help = (
        "Run the breach sweep now (what the worker's periodic task does each minute): mark the "
        "promises past due as breached, once, and escalate them along the chain. Safe to run while "
        "a worker runs, twice at once, or again after a run was killed: nothing is written twice."
    )

    def handle(self, *args, **options):
        started = time.perf_counter()
        result = sweep.sweep()
        seconds = time.perf_counter() - started
        if result.skipped:
            self.stdout.write("another sweep is running; nothing done")
            return
        escalated = ", ".join(
            f"{name} {count}" for name, count in result.counts.items() if name.startswith("escalated_")
        )
        self.stdout.write(
            f"breached {result.breached}; escalated: {escalated or 'none'}; "
            f"people told {result.notified}; {seconds:.2f} s"
        )
