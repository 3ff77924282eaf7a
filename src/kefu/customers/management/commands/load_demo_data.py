"""manage.py load_demo_data: the demo archive and one login per role (see customers.demo)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kefu.customers.demo import DEFAULT_CUSTOMERS, load_demo_data


class Command(BaseCommand):
    help = (
        "Load a realistic Chinese demo archive (customers, products, life events) and the demo "
        "logins agent, supervisor, technician, sales, centre, manager and admin, all with the demo "
        "password. Customers are added only to an empty archive; logins are reset on every run. "
        "Refuses to run when DEBUG is off unless --force is given."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--customers",
            type=int,
            default=DEFAULT_CUSTOMERS,
            help=f"How many demo customers to create (default {DEFAULT_CUSTOMERS}).",
        )
        parser.add_argument(
            "--seed", type=int, default=None, help="Random seed, for the same data each time."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load even though DEBUG is off. Never on a production system: the logins are public.",
        )

    def handle(self, *args, customers, seed, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off, so this looks like a production system: the demo logins have a public "
                "password. Nothing was loaded. Use --force if you really mean it."
            )
        if customers < 0:
            raise CommandError("--customers cannot be negative.")
        result = load_demo_data(customers=customers, seed=seed)
        if result.skipped:
            self.stdout.write("The archive already has customers: no demo customers added.")
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Added {result.customers} demo customers with {result.products} products and "
                    f"{result.life_events} life events."
                )
            )
        self.stdout.write("\nDemo logins:")
        # The role comes last: Chinese characters are two columns wide and would skew the others.
        rows = [("username", "password", "role"), *result.logins]
        widths = [max(len(row[i]) for row in rows) for i in range(2)]
        for index, (username, password, role) in enumerate(rows):
            self.stdout.write(f"  {username.ljust(widths[0])}  {password.ljust(widths[1])}  {role}")
            if index == 0:
                self.stdout.write(f"  {'-' * widths[0]}  {'-' * widths[1]}  ----")
