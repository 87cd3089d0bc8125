"""Pure rules of the QA service: no I/O, no clock, no database."""
