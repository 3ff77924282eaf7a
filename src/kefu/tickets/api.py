"""The tickets' part of the API (API.md "tickets"): list, create, read, change and act on tickets."""

from ninja import Router

router = Router(tags=["tickets"])
