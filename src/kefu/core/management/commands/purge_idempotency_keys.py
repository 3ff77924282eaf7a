from django.core.management.base import BaseCommand

from kefu.core.api.idempotency import KEY_LIFETIME, purge_expired_keys


class Command(BaseCommand):
    help = "Delete the API's Idempotency-Keys older than their lifetime (the worker does this nightly)."

    def handle(self, *args, **options):
        deleted = purge_expired_keys()
        hours = int(KEY_LIFETIME.total_seconds() // 3600)
        self.stdout.write(f"Deleted {deleted} idempotency keys older than {hours} hours.")
