"""manage.py generate_data: bulk data for benchmarks, from the steps the apps register (see
core.generation; each step adds its own options, e.g. customers' --customers and --products)."""

from django.core.management.base import BaseCommand, CommandError

from kefu.core import bulk, generation


class Command(BaseCommand):
    help = (
        "Append generated data for benchmarks: each installed app adds its own counts (--customers, "
        "--products …). Fast set-wise writes (COPY on PostgreSQL), no audit trail: this is test data, "
        "not user changes. Never run it on a production database."
    )

    def add_arguments(self, parser):
        for option in generation.options():
            parser.add_argument(f"--{option.name}", type=int, default=0, help=option.help)
        parser.add_argument("--seed", type=int, default=None, help="Random seed, for a repeatable data set.")
        parser.add_argument(
            "--batch", type=int, default=bulk.BATCH, help=f"Rows per write batch (default {bulk.BATCH})."
        )

    def handle(self, *args, seed, batch, verbosity, **options):
        counts = {option.name: options[option.name] for option in generation.options()}
        progress = (lambda message: self.stdout.write(f"  {message}")) if verbosity > 1 else None
        try:
            result = generation.generate(counts, seed=seed, batch=batch, progress=progress)
        except generation.GenerateError as error:
            raise CommandError(f"{error} Nothing was written.") from None
        parts = [f"{n:,} {kind}" for _name, written in result.written for kind, n in written.rows.items()]
        self.stdout.write(
            self.style.SUCCESS(
                f"Added {', '.join(parts) or 'nothing'} in {result.seconds:.1f} s: "
                f"{result.main_rows_per_second:,.0f} main rows/s, "
                f"{result.rows / result.seconds if result.seconds else 0:,.0f} rows/s in all."
            )
        )
