from django.core.management.base import BaseCommand
from django.db import transaction

from kefu.core import bulk


class Command(BaseCommand):
    help = (
        "Check the rows written by generate_data against the foreign keys it added back NOT VALID "
        "(decision 0035); each key in a transaction of its own, while the application runs."
    )

    def handle(self, *args, **options):
        keys = bulk.unvalidated_keys()
        for table, name in keys:
            with transaction.atomic():
                seconds = bulk.validate_key(table, name)
            self.stdout.write(f"{table}: {name} checked in {seconds:.1f} s")
        self.stdout.write(f"{len(keys)} foreign keys checked." if keys else "Every foreign key is checked.")
