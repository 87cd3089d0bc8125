"""Alembic migrations of the store, named and ordered; HEAD is the newest revision.

HEAD is written here so an up-to-date store is recognised without importing Alembic;
a test checks it against the scripts in ``versions/``.
"""

HEAD = "0011"
