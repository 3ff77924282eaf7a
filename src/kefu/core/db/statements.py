"""The statements every API request of a kind makes, built by Django once per process, and the
writes a request sends together at its end (`batched`).

Building and compiling a queryset costs more CPU than PostgreSQL takes to answer a read by
primary key or by a unique column: on a ticket's create the token, the Idempotency-Key, the
customer and the product were a third of the worker's time, most of it in Django's SQL
compiler (docs/benchmarks.md, decision 0028). `Prepared` builds the queryset once with a
stand-in for each value that changes between calls, keeps its SQL and how Django turns a row
into models (the model, its select_related relations, its annotations), and on each call binds
the real values and builds the instance from the row exactly as the queryset would:

    _PRODUCT = Prepared(lambda slot: OwnedProduct.objects.filter(pk=slot.number("id")))
    product = _PRODUCT.first(id=product_id)

The queryset must not depend on anything but its stand-ins (no user, no time, no setting read
while it is built): what differs between callers belongs in a stand-in or in another Prepared.

On PostgreSQL these statements (a Prepared's, an insert's, a write sent later) are also prepared
on the server, once per connection, and sent as `EXECUTE kefu_N(…)`: PostgreSQL then neither
parses, analyses nor plans them again, which was two fifths of its CPU on a ticket's create
(decision 0039). Their values are still bound on the client, as Django binds them.
"""

import contextlib
import datetime
import itertools
import re
import threading
import weakref
from collections.abc import Callable
from typing import Any

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models import NOT_PROVIDED, QuerySet
from django.db.models.query import get_related_populators

# Stand-ins: values no caller sends (negative ids beyond any sequence, texts with a unit separator).
_NUMBER_BASE = -(2**62)
_TEXT_EDGE = "\x1f"


class Slots:
    """The stand-ins handed to a Prepared's builder."""

    def __init__(self) -> None:
        self.by_value: dict[Any, str] = {}
        self._count = itertools.count(1)

    def number(self, name: str) -> int:
        value = _NUMBER_BASE - next(self._count)
        self.by_value[value] = name
        return value

    def text(self, name: str) -> str:
        value = f"{_TEXT_EDGE}slot{next(self._count)}{_TEXT_EDGE}"
        self.by_value[value] = name
        return value


# --- Statements prepared on the server (PostgreSQL) ----------------------------------------------

_PLACEHOLDER = re.compile(r"%[s%]")


class _ServerStatement:
    """A statement as prepared on the server: its name, its text with PostgreSQL's placeholders
    and what is sent to execute it with Django's. `refused`: PostgreSQL cannot prepare it (a
    value whose type it cannot infer); that one is sent as it is."""

    def __init__(self, name: str, sql: str) -> None:
        count = itertools.count(1)
        self.name = name
        self.text = _PLACEHOLDER.sub(lambda match: f"${next(count)}" if match.group() == "%s" else "%", sql)
        values = next(count) - 1
        self.execute = f"EXECUTE {name}({', '.join(['%s'] * values)})" if values else f"EXECUTE {name}"
        self.refused = False


# A statement's SQL → the same name on every connection (kefu_1, kefu_2 …).
_server_statements: dict[str, _ServerStatement] = {}
_server_lock = threading.Lock()
# A psycopg connection → the names prepared on it (a connection is used by one thread at a time).
_prepared_on: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _prepare(raw, statement: _ServerStatement) -> bool:
    """PREPARE the statement on this connection, inside a savepoint when in a transaction (a
    statement PostgreSQL refuses must not abort the caller's transaction). Sent on the driver's
    connection, as Django's own session settings are: not one of the request's statements.
    A prepared statement outlives a rollback; it lasts as long as the connection."""
    prepare = f"PREPARE {statement.name} AS {statement.text}"
    in_transaction = raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE
    with raw.cursor() as cursor:
        if not in_transaction:
            try:
                cursor.execute(prepare)
            except psycopg.errors.DatabaseError:
                return False
            return True
        cursor.execute("SAVEPOINT kefu_prepare")
        try:
            cursor.execute(prepare)
        except psycopg.errors.DatabaseError:
            cursor.execute("ROLLBACK TO SAVEPOINT kefu_prepare")
            return False
        finally:
            cursor.execute("RELEASE SAVEPOINT kefu_prepare")
    return True


def executable(sql: str) -> str:
    """What to send for `sql` (with Django's %s placeholders) on this connection: on PostgreSQL
    `EXECUTE kefu_N(%s, …)`, the statement prepared on the connection the first time; else, and
    with DB_PREPARE_ON_SERVER=0 (a pooler in transaction mode), `sql`.
    Only for the few statements that every request of a kind repeats: each one prepared stays
    on every connection of the process until it closes."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql" or not settings.KEFU_PREPARE_ON_SERVER:
        return sql
    statement = _server_statements.get(sql)
    if statement is None:
        with _server_lock:
            statement = _server_statements.get(sql)
            if statement is None:
                statement = _server_statements[sql] = _ServerStatement(
                    f"kefu_{len(_server_statements) + 1}", sql
                )
    if statement.refused:
        return sql
    db.ensure_connection()
    raw = db.connection
    done = _prepared_on.get(raw)
    if done is None:
        done = _prepared_on.setdefault(raw, set())
    if statement.name not in done:
        if not _prepare(raw, statement):
            statement.refused = True
            return sql
        done.add(statement.name)
    return statement.execute


class _Compiled:
    def __init__(self, queryset: QuerySet, slots: Slots) -> None:
        compiler = queryset.query.get_compiler(queryset.db)
        self.sql, params = compiler.as_sql()
        self.params: list[tuple[bool, Any]] = []  # (is a stand-in, its name or the constant)
        found = set()
        for param in params:
            name = slots.by_value.get(param) if isinstance(param, int | str) else None
            if name is not None and type(param) in (int, str):
                self.params.append((True, name))
                found.add(name)
            else:
                self.params.append((False, param))
        missing = set(slots.by_value.values()) - found
        if missing:
            raise ValueError(f"stand-ins not found among the statement's parameters: {sorted(missing)}")
        self.db = queryset.db
        self.compiler = compiler
        klass_info = compiler.klass_info
        self.model = klass_info["model"]
        fields = klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.init_list = [column[0].target.attname for column in compiler.select[self.start : self.end]]
        self.populators = get_related_populators(klass_info, compiler.select, self.db)
        self.annotations = dict(compiler.annotation_col_map or {})
        # What results_iter would work out for every row: the columns' converters, found once.
        selected = [column[0] for column in compiler.select[0 : compiler.col_count]]
        if compiler.has_composite_fields(selected):
            raise ValueError("a Prepared statement cannot select a composite primary key")
        self.converters = compiler.get_converters(selected)

    def instance(self, row) -> Any:
        if self.converters:
            (row,) = self.compiler.apply_converters([row], self.converters)
        obj = self.model.from_db(self.db, self.init_list, row[self.start : self.end])
        for populator in self.populators:
            populator.populate(row, obj)
        for name, position in self.annotations.items():
            setattr(obj, name, row[position])
        return obj


class Prepared:
    """A model queryset compiled once per database vendor; `first(**values)` runs it with the
    values in the stand-ins' places and answers the first instance, or None."""

    def __init__(self, build: Callable[[Slots], QuerySet]) -> None:
        self.build = build
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def _for_connection(self) -> _Compiled:
        key = connection.vendor
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                slots = Slots()
                queryset = self.build(slots)
                if not queryset.ordered:
                    queryset = queryset.order_by("pk")
                compiled = self._compiled[key] = _Compiled(queryset[:1], slots)
        return compiled

    def first(self, **values: Any) -> Any:
        compiled = self._for_connection()
        params = [values[item] if is_slot else item for is_slot, item in compiled.params]
        with connection.cursor() as cursor:
            cursor.execute(executable(compiled.sql), params)
            row = cursor.fetchone()
        return None if row is None else compiled.instance(row)


# --- Inserts ------------------------------------------------------------------------------------


class _Insert:
    """INSERT … RETURNING pk for `rows` objects of one model, as Model.save(force_insert=True)
    and bulk_create write them (the same columns, each value through the field's pre_save and
    get_db_prep_save), without building Django's insert compiler for each."""

    def __init__(self, model, rows: int) -> None:
        meta = model._meta
        quote = connection.ops.quote_name
        self.pk = meta.pk
        self.fields = [
            field
            for field in meta.local_concrete_fields
            if not getattr(field, "generated", False) and field is not meta.pk
        ]
        # A field with a placeholder of its own or a database default: bulk_create writes it.
        self.supported = not any(
            hasattr(field, "get_placeholder") or field.db_default is not NOT_PROVIDED for field in self.fields
        )
        # Per field: the attribute whose value goes as it is when its type is one of these (what
        # pre_save and get_db_prep_save would give back unchanged), else None: the field's way.
        self.plain = [_plain_value_types(field) for field in self.fields]
        one = "(" + ", ".join(["%s"] * len(self.fields)) + ")"
        self.sql = (
            f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in self.fields)}) "
            f"VALUES {', '.join([one] * rows)} RETURNING {quote(self.pk.column)}"
        )


_TEXT_FIELDS = (models.CharField, models.TextField)
_INTEGER_FIELDS = (
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveBigIntegerField,
    models.PositiveSmallIntegerField,
)


def _plain_value_types(field) -> tuple[str, tuple[type, ...]] | None:
    """(attribute, types) when a value of those types (or None) is written as it is: a text or
    integer field of Django's own classes (not a subclass, which may convert), a boolean, a
    foreign key to an integer key, and on PostgreSQL a moment that is not stamped on save (an
    aware datetime goes as it is there; a naive one takes the field's way, which warns). Choices'
    enum members are not plain str: they take the field's way, as does every other field (JSON,
    decimals, dates)."""
    kind = type(field)
    if kind is models.DateTimeField and not (field.auto_now or field.auto_now_add):
        return (field.attname, (datetime.datetime,)) if connection.vendor == "postgresql" else None
    if kind in _TEXT_FIELDS:
        return field.attname, (str,)
    if kind in _INTEGER_FIELDS:
        return field.attname, (int,)
    if kind is models.BooleanField:
        return field.attname, (bool,)
    if kind is models.ForeignKey and type(field.target_field) in (models.AutoField, models.BigAutoField):
        return field.attname, (int,)
    return None


_inserts: dict[tuple, _Insert] = {}


class _Batch:
    """The writes of a batched() block that nobody reads before its end, in the order given."""

    def __init__(self) -> None:
        self.queued: list[tuple[str, list, list | None, _Insert | None]] = []

    def send(self) -> None:
        queued, self.queued = self.queued, []
        if not queued:
            return
        if connection.vendor != "postgresql":
            for sql, params, objects, statement in queued:
                with connection.cursor() as cursor:
                    cursor.execute(sql, params)
                    if objects is not None:
                        _set_ids(objects, statement, [row[0] for row in cursor.fetchall()])
            return
        # PostgreSQL: one script of the statements with their values bound as Django binds them
        # (on the client), sent as one simple query: one round trip, one answer per statement.
        with connection.cursor() as cursor:
            client = cursor.cursor
            cursor.execute(";\n".join(client.mogrify(sql, params) for sql, params, _o, _s in queued))
            for index, (_sql, _params, objects, statement) in enumerate(queued):
                if index:
                    client.nextset()
                if objects is not None:
                    _set_ids(objects, statement, [row[0] for row in client.fetchall()])


_batches = threading.local()


@contextlib.contextmanager
def batched():
    """The writes that nobody reads back before the block ends (`insert(..., wait=False)`,
    `execute_later`: an event, an audit row, a search row, a stored answer) are kept and sent at
    its end together, on PostgreSQL in one round trip (one script of the statements) instead of
    one each (decision 0036). Inside the block nothing may read those rows, nor use their ids, which
    are set at its end; an error of theirs is raised at its end, as Django's error. A block
    that raises sends nothing (its transaction is rolled back anyway). Blocks do not nest: an
    inner one is part of the outer one."""
    if getattr(_batches, "current", None) is not None:
        yield
        return
    connection.ensure_connection()
    batch = _batches.current = _Batch()
    try:
        yield
    except BaseException:
        batch.queued.clear()
        raise
    finally:
        _batches.current = None
    batch.send()


def execute_later(sql: str, params: list | tuple) -> None:
    """Run a write whose answer nobody reads: at the end of the batched() block around it, or now."""
    sql = executable(sql)
    batch = getattr(_batches, "current", None)
    if batch is not None:
        batch.queued.append((sql, list(params), None, None))
        return
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _set_ids(objects: list, statement: _Insert, ids: list) -> None:
    for obj, pk in zip(objects, ids, strict=True):
        setattr(obj, statement.pk.attname, pk)
        obj._state.adding = False
        obj._state.db = connection.alias


def insert(objects: list, *, wait: bool = True) -> None:
    """Write new model instances of one model (their primary key not set, an auto field) in one
    statement, and set their primary keys: what bulk_create does, for the few rows of one
    request, at a fraction of its CPU. No signal is sent (none is connected in Kefu; bulk_create
    sends none either). The instances' foreign keys must be set (or their related object saved).

    `wait=False` inside a batched() block: the row is written at the block's end with the block's
    other such writes, and its primary key set then; nothing may read it or use its id before."""
    if not objects:
        return
    model = type(objects[0])
    key = (model, len(objects), connection.vendor)
    statement = _inserts.get(key)
    if statement is None:
        statement = _inserts[key] = _Insert(model, len(objects))
    if not statement.supported or not connection.features.can_return_columns_from_insert:
        model._default_manager.bulk_create(objects)
        return
    params = []
    for obj in objects:
        obj._prepare_related_fields_for_save(operation_name="insert")
        values = obj.__dict__
        for field, plain in zip(statement.fields, statement.plain, strict=True):
            if plain is not None:
                value = values.get(plain[0], NOT_PROVIDED)
                if value is None or (type(value) in plain[1] and getattr(value, "tzinfo", True) is not None):
                    params.append(value)
                    continue
            params.append(field.get_db_prep_save(field.pre_save(obj, True), connection))
    sql = executable(statement.sql)
    batch = getattr(_batches, "current", None)
    if not wait and batch is not None:
        batch.queued.append((sql, params, objects, statement))
        return
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()]
    _set_ids(objects, statement, ids)
