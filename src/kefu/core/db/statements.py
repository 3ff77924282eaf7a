"""Reads that every API request of a kind makes, compiled by Django once per process.

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
"""

import itertools
import threading
from collections.abc import Callable
from typing import Any

from django.db import connection
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

    def instance(self, row) -> Any:
        (row,) = list(self.compiler.results_iter(results=[[row]]))
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
            cursor.execute(compiled.sql, params)
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
        one = "(" + ", ".join(["%s"] * len(self.fields)) + ")"
        self.sql = (
            f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in self.fields)}) "
            f"VALUES {', '.join([one] * rows)} RETURNING {quote(self.pk.column)}"
        )


_inserts: dict[tuple, _Insert] = {}


def insert(objects: list) -> None:
    """Write new model instances of one model (their primary key not set, an auto field) in one
    statement, and set their primary keys: what bulk_create does, for the few rows of one
    request, at a fraction of its CPU. No signal is sent (none is connected in Kefu; bulk_create
    sends none either). The instances' foreign keys must be set (or their related object saved)."""
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
        for field in statement.fields:
            params.append(field.get_db_prep_save(field.pre_save(obj, True), connection))
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, params)
        ids = [row[0] for row in cursor.fetchall()]
    for obj, pk in zip(objects, ids, strict=True):
        setattr(obj, statement.pk.attname, pk)
        obj._state.adding = False
        obj._state.db = connection.alias
