"""The local SMS gateway: sends nothing, records what it would have sent (LocalSms), so that a
system without a provider contract works end to end and an administrator can read each text."""

from kefu.notifications.models import LocalSms


class LocalSmsGateway:
    def send(self, *, phone: str, body: str, message_id: int) -> str:
        record = LocalSms.objects.create(message_id=message_id, phone=phone, body=body)
        return f"local-{record.pk}"
