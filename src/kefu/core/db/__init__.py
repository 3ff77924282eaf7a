"""Database plumbing: the PostgreSQL backend that fails fast while the database is down."""
