"""A generation token: one row whose random token triggers change with every write to the tables
a process-wide copy is made from (the promise rules, decision 0028; an API token's permissions,
decision 0038). A process keeps its copy with the token it read and reads only the token while it
stands. Triggers catch every writer (the services, the admin, a queryset's update, raw SQL, a
bulk load, a test's flush); the token is random, never a counter, so a rolled-back change cannot
bring back a token that names another state.

Used by migrations: what they call must keep doing what it did when they were written.
"""

from collections.abc import Sequence


def create(schema_editor, *, table: str, function: str, watched: Sequence[str]) -> None:
    """The one-row table `table` and its triggers on `watched` (PostgreSQL: one statement-level
    trigger per table, TRUNCATE included, calling the function `function`; SQLite: a row trigger
    per table and event). Another database gets nothing: its readers then keep no copy."""
    vendor = schema_editor.connection.vendor
    execute = schema_editor.execute
    if vendor == "postgresql":
        execute(f"CREATE TABLE {table} (id integer PRIMARY KEY CHECK (id = 1), token varchar(32) NOT NULL)")
        execute(f"INSERT INTO {table} (id, token) VALUES (1, md5(random()::text || clock_timestamp()::text))")
        execute(
            f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"UPDATE {table} SET token = md5(random()::text || clock_timestamp()::text); RETURN NULL; END $$"
        )
        for watched_table in watched:
            execute(
                f"CREATE TRIGGER {table}_{watched_table} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {watched_table} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
            )
    elif vendor == "sqlite":
        execute(f"CREATE TABLE {table} (id integer PRIMARY KEY CHECK (id = 1), token varchar(32) NOT NULL)")
        execute(f"INSERT INTO {table} (id, token) VALUES (1, lower(hex(randomblob(16))))")
        for watched_table in watched:
            for event in ("INSERT", "UPDATE", "DELETE"):
                execute(
                    f"CREATE TRIGGER {table}_{watched_table}_{event.lower()} AFTER {event} "
                    f"ON {watched_table} BEGIN UPDATE {table} SET token = lower(hex(randomblob(16))); END"
                )


def drop(schema_editor, *, table: str, function: str, watched: Sequence[str]) -> None:
    """What `create` made, gone."""
    vendor = schema_editor.connection.vendor
    execute = schema_editor.execute
    if vendor == "postgresql":
        for watched_table in watched:
            execute(f"DROP TRIGGER IF EXISTS {table}_{watched_table} ON {watched_table}")
        execute(f"DROP FUNCTION IF EXISTS {function}()")
    elif vendor == "sqlite":
        for watched_table in watched:
            for event in ("insert", "update", "delete"):
                execute(f"DROP TRIGGER IF EXISTS {table}_{watched_table}_{event}")
    execute(f"DROP TABLE IF EXISTS {table}")
