"""The errors qaudit refuses with: each carries a message a person can act on.

The CLI turns every ``QauditError`` into one ``Error: …`` line on stderr and exit code 1.
"""

from __future__ import annotations


class QauditError(Exception):
    """A refusal: bad input, an unknown record, a broken rule. Nothing has been written.

    The message speaks of the domain, not of command-line options; ``remedy`` names the other
    way open, when there is one ("adhoc": record an ad hoc audit), and the command line adds
    the option that takes it (cli/app.py ``REMEDIES``)."""

    def __init__(self, message: str, *, remedy: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.remedy = remedy

    def __str__(self) -> str:
        return self.message


class InputError(QauditError):
    """A problem in an input file, located by file, line (or sheet and row) and column."""

    def __init__(
        self,
        message: str,
        *,
        file: str,
        line: int | None = None,
        column: int | str | None = None,
        column_name: str | None = None,
        sheet: str | None = None,
    ) -> None:
        self.problem = message
        self.file = file
        self.line = line
        self.column = column
        self.column_name = column_name
        self.sheet = sheet
        super().__init__(self._format())

    def __reduce__(self) -> tuple[object, ...]:
        # Crosses a process boundary intact (the large-file reader runs in a child process).
        return (
            _input_error,
            (self.problem, self.file, self.line, self.column, self.column_name, self.sheet),
        )

    def _format(self) -> str:
        where = [self.file]
        if self.sheet is not None:
            where.append(f"sheet '{self.sheet}'")
        if self.line is not None:
            where.append(f"{'row' if self.sheet is not None else 'line'} {self.line}")
        if self.column is not None:
            col = f"column {self.column}"
            if self.column_name:
                col += f" ({self.column_name})"
            where.append(col)
        return f"{', '.join(where)}: {_one_line(self.problem)}"


def _one_line(text: str, limit: int = 300) -> str:
    """A message quoting a cell stays one line and readable: the cell may hold anything."""
    flat = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _input_error(
    problem: str,
    file: str,
    line: int | None,
    column: int | str | None,
    column_name: str | None,
    sheet: str | None,
) -> InputError:
    return InputError(
        problem, file=file, line=line, column=column, column_name=column_name, sheet=sheet
    )


class NotFoundError(QauditError):
    """A record named on the command line does not exist in the store."""


class RuleError(QauditError):
    """The request breaks one of the service's rules (who may do what, in which state)."""


class ConfigError(QauditError):
    """The policy file or a global option is not usable."""


class StoreError(QauditError):
    """The store is missing, of another version, or busy."""
