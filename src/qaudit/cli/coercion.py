"""Option values coerced without Pydantic where Typer's own rules need none.

Typer 0.29 coerces every parameter of the command being run through a Pydantic TypeAdapter:
importing Pydantic and building the adapters costs ~0.08 s a command, half of what ``qaudit
--help`` costs in all. qaudit's options are text, whole numbers, paths, flags and choices, for
which Typer's rules are plain functions (``coerce_cli_path``, ``coerce_cli_choice``) or none at
all. Those are applied here directly; anything else, or any value these rules do not plainly
accept (a number with a sign, an unknown choice, a path that must exist), goes to Typer's own
coercion, so its results and its error messages are unchanged. A test runs every command's
options both ways (tests/cli/test_coercion.py).
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

try:  # Typer's internals as the lock pins them; without them, Typer does it all
    from typer._coercion import RuntimeParam, TypeDescriptor, build_runtime_param
    from typer._param_types import coerce_cli_choice, coerce_cli_path
    from typer.core import _TyperParameter
except ImportError:  # pragma: no cover - another Typer release
    _TyperParameter = None  # type: ignore[assignment,misc]


def _plain(annotation: Any) -> Any:
    """``X`` for ``X | None`` (and ``Optional[X]``), else the annotation itself."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _lean(descriptor: TypeDescriptor) -> RuntimeParam | None:
    info = descriptor.parameter_info
    if descriptor.file_annotation is not None or info.parser is not None:
        return None
    if getattr(info, "click_type", None) is not None:
        return None
    kind = _plain(descriptor.annotation)
    many = typing.get_origin(kind) is list
    if many:
        [kind] = typing.get_args(kind)
    simple = kind in (str, bool, int) or (isinstance(kind, type) and issubclass(kind, Enum | Path))
    if not simple:
        return None
    return _LeanParam(
        parameter_info=info,
        annotation=descriptor.annotation,
        kind=kind,
        many=many,
        descriptor=descriptor,
    )


@dataclass(frozen=True)
class _LeanParam(RuntimeParam):
    kind: Any
    many: bool  # list[kind]: each value coerced, a list returned
    descriptor: TypeDescriptor

    def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
        if self.many:
            items = value if isinstance(value, list | tuple) else [value]
            try:
                return [self._one(item, param, ctx) for item in items]
            except _Defer:
                pass
        else:
            try:
                return self._one(value, param, ctx)
            except _Defer:
                pass
        real = build_runtime_param(self.descriptor)
        return real._coerce_value(value, param=param, ctx=ctx)

    def _one(self, value: Any, param: Any, ctx: Any) -> Any:
        kind = self.kind
        try:
            if kind is str and isinstance(value, str):
                return value
            if kind is bool and isinstance(value, bool):
                return value
            if kind is int:
                number: int | None = None
                if type(value) is int:
                    number = value
                elif isinstance(value, str) and value.isascii() and value.isdigit():
                    number = int(value)
                low, high = self.parameter_info.min, self.parameter_info.max
                if number is not None and _within(number, low, high):
                    return number
                raise _Defer  # out of bounds, or not plainly a number: Typer says why
            elif issubclass(kind, Enum):
                return coerce_cli_choice(
                    value,
                    choices=list(kind),
                    case_sensitive=self.parameter_info.case_sensitive,
                    ctx=ctx,
                )
            elif issubclass(kind, Path) and isinstance(value, str | Path):
                path_type: Any = self.parameter_info.path_type or kind
                if isinstance(value, str) and value and issubclass(path_type, Path):
                    value = path_type(value)  # as Pydantic makes a path of text
                return coerce_cli_path(
                    value, self.parameter_info, path_type=path_type, param=param, ctx=ctx
                )
        except _Defer:
            raise
        except Exception:  # Typer's own coercion says what is wrong, in its words
            pass
        raise _Defer


def _within(number: int, low: float | None, high: float | None) -> bool:
    return (low is None or number >= low) and (high is None or number <= high)


class _Defer(Exception):
    """A value for Typer's own coercion."""


def install() -> None:
    """Coerce the simple option types without Pydantic (once; a no-op on another Typer)."""
    if _TyperParameter is None or getattr(_TyperParameter, "_qaudit_lean", False):
        return

    def get_runtime_param(self: Any) -> Any:
        if self._runtime_param is None:
            descriptor = self.type_descriptor
            self._runtime_param = _lean(descriptor) or build_runtime_param(descriptor)
        return self._runtime_param

    setattr(_TyperParameter, "get_runtime_param", get_runtime_param)  # noqa: B010
    setattr(_TyperParameter, "_qaudit_lean", True)  # noqa: B010
