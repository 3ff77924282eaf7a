"""What every SMS gateway offers: send one text to one number, or say why it could not."""

from typing import Protocol


class SmsGateway(Protocol):
    def send(self, *, phone: str, body: str, message_id: int) -> str:
        """Hand the text to the provider; return the provider's id for it.

        `phone` is E.164 (+8613812345678); `message_id` is the outbox row's id, for providers
        that take a client reference (a retry of the same message carries the same id). Raise
        notifications.channels.DeliveryFailed when the provider refuses or cannot be reached:
        the outbox tries again later, and gives up after KEFU_OUTBOX_MAX_ATTEMPTS.
        """
        ...
