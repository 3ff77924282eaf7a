"""manage.py load_demo_data: the demo data set, from the steps the apps register (see
core.generation): one login per role (accounts), the demo archive (customers) …"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kefu.core import generation


class Command(BaseCommand):
    help = (
        "Load a realistic Chinese demo data set (each installed app adds its own: the demo logins "
        "agent, supervisor, technician, sales, centre, manager and admin, all with the demo password; "
        "customers, products and life events …). Records are added only where there are none; logins "
        "are reset on every run. Refuses to run when DEBUG is off unless --force is given."
    )

    def add_arguments(self, parser):
        for step in generation.DEMO_STEPS.values():
            for name, default, text in step.options:
                parser.add_argument(
                    f"--{name}", type=int, default=default, help=f"{text} (default {default})."
                )
        parser.add_argument(
            "--seed", type=int, default=None, help="Random seed, for the same data each time."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load even though DEBUG is off. Never on a production system: the logins are public.",
        )

    def handle(self, *args, seed, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off, so this looks like a production system: the demo logins have a public "
                "password. Nothing was loaded. Use --force if you really mean it."
            )
        counts = {
            name: options[name]
            for step in generation.DEMO_STEPS.values()
            for name, _default, _text in step.options
        }
        if any(value < 0 for value in counts.values()):
            raise CommandError("Counts cannot be negative.")
        for line in generation.load_demo(counts, seed=seed):
            self.stdout.write(line)
