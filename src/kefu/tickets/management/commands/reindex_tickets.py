"""manage.py reindex_tickets: cut every ticket's text again into the search index (decision 0023)."""

from django.core.management.base import BaseCommand, CommandError

from kefu.tickets import search


class Command(BaseCommand):
    help = (
        "Rebuild the Chinese full-text index of tickets: subject, description and every comment, "
        "in batches of tickets in id order. Safe while the system runs; needed after restoring "
        "tickets without their index, or after a change of the word list."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", type=int, default=2_000, help="Tickets read and written per batch (default 2000)."
        )

    def handle(self, *args, batch, verbosity, **options):
        if batch < 1:
            raise CommandError("--batch must be at least 1.")

        def progress(done: int, total: int) -> None:
            if verbosity > 1:
                self.stdout.write(f"  {done:,} / {total:,}")

        indexed = search.reindex(batch=batch, progress=progress)
        self.stdout.write(self.style.SUCCESS(f"Indexed {indexed:,} tickets."))
