"""Persistence: SQLAlchemy models, the database file, migrations and the change log."""
