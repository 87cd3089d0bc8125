"""Sending qaudit's reminder emails."""
