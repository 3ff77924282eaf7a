"""`{{ promise|promise_clock }}`: a promise's clock as a badge ("2小时后到期", "已超时 35分钟",
"已达成", "已暂停"), grey, orange in the last quarter of its span, red once breached (promises.display)."""

from django import template

from kefu.promises import display
from kefu.promises.ui import clock_html

register = template.Library()


@register.filter
def promise_clock(promise, with_kind=True):
    """The clock of a TicketPromise now; `promise|promise_clock:False` leaves out the kind's name."""
    if promise is None:
        return ""
    return clock_html(display.clock(promise), with_kind=bool(with_kind))
