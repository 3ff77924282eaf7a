"""Django's PostgreSQL backend, failing fast while the database cannot be reached.

With psycopg's pool, a request that needs a connection while the database is down waits the
pool's whole timeout (DB_POOL_TIMEOUT) and fails. Every request in the outage would stall like
that, and a load balancer would see slow requests instead of a quick 503. So after a failed
connection this process stops asking for DB_RETRY_SECONDS: requests in that time fail at once
(HTTP 503, core.api.errors and core.middleware), then one request tries again, and as soon as
the database answers every request goes through again. The pool keeps reconnecting in the
background meanwhile.
"""

import threading
import time

from django.conf import settings
from django.db.backends.postgresql import base


class Breaker:
    """When this process last failed to get a connection, and whether to try again yet."""

    def __init__(self, clock=time.monotonic) -> None:
        self.clock = clock
        self.open_until = 0.0
        self.lock = threading.Lock()

    def is_open(self) -> bool:
        return self.clock() < self.open_until

    def trip(self, seconds: float) -> None:
        with self.lock:
            self.open_until = self.clock() + seconds

    def reset(self) -> None:
        with self.lock:
            self.open_until = 0.0


breaker = Breaker()


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        if breaker.is_open():
            raise self.Database.OperationalError(
                "the database did not answer a moment ago; not asking again yet"
            )
        try:
            connection = super().get_new_connection(conn_params)
        except self.Database.OperationalError:
            breaker.trip(settings.KEFU_DB_RETRY_SECONDS)
            raise
        breaker.reset()
        return connection
