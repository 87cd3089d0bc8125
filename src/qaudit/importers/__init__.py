"""Readers of the files a council already has: validate, convert, report errors by place."""
