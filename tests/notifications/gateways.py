"""SMS gateways for the tests: one whose provider is always down."""

from kefu.notifications.channels import DeliveryFailed


class DownGateway:
    calls = 0

    def send(self, *, phone: str, body: str, message_id: int) -> str:
        type(self).calls += 1
        raise DeliveryFailed("HTTP 503 from the provider")
