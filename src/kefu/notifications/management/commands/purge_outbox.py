from django.core.management.base import BaseCommand

from kefu.notifications import delivery


class Command(BaseCommand):
    help = (
        "Delete the outbox's messages sent more than KEFU_OUTBOX_KEEP_DAYS days ago (the worker "
        "does this nightly). Safe to repeat: a second run deletes nothing."
    )

    def handle(self, *args, **options):
        deleted = delivery.purge_sent()
        self.stdout.write(f"Deleted {deleted} messages sent more than {delivery.keep_days()} days ago.")
