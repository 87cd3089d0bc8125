"""The case store: tables, the engine and its connection settings, migrations, the change log."""
