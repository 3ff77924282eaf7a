"""The customer's side of the API (API.md "customer portal") and the doors into tickets from
outside: portal links, attachments, public requests and the telephony screen pop."""

from ninja import Router

router = Router(tags=["customer portal"])
