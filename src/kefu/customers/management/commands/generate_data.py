"""manage.py generate_data: bulk archive data for benchmarks (see customers.generate)."""

from django.core.management.base import BaseCommand, CommandError

from kefu.customers.generate import GenerateError, generate


class Command(BaseCommand):
    help = (
        "Append generated customers (with phones and a default address) and owned products for "
        "benchmarks. Fast set-wise writes (COPY on PostgreSQL), no audit trail: this is test data, "
        "not user changes. Never run it on a production database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=0, help="Customers to add (default 0).")
        parser.add_argument(
            "--products",
            type=int,
            default=0,
            help="Owned products to add; they go to the new customers, or to existing ones if none.",
        )
        parser.add_argument(
            "--tickets",
            type=int,
            default=0,
            help="Tickets to add. Reserved: tickets arrive with the tickets capability.",
        )
        parser.add_argument("--seed", type=int, default=None, help="Random seed, for a repeatable data set.")
        parser.add_argument("--batch", type=int, default=50_000, help="Rows per write batch (default 50000).")

    def handle(self, *args, customers, products, tickets, seed, batch, verbosity, **options):
        if tickets > 0:
            raise CommandError(
                "Tickets cannot be generated yet: they arrive with the tickets capability. "
                "Nothing was written."
            )
        if customers < 0 or products < 0 or batch < 1:
            raise CommandError("Counts must be zero or more, and --batch at least 1.")
        progress = (lambda message: self.stdout.write(f"  {message}")) if verbosity > 1 else None
        try:
            result = generate(
                customers=customers, products=products, seed=seed, batch=batch, progress=progress
            )
        except GenerateError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Added {result.customers:,} customers ({result.phones:,} phones, "
                f"{result.addresses:,} addresses) and {result.products:,} products "
                f"in {result.seconds:.1f} s: {result.main_rows_per_second:,.0f} customers+products/s, "
                f"{result.rows / result.seconds if result.seconds else 0:,.0f} rows/s in all."
            )
        )
