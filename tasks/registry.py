"""Task registry: names to factories, and parsing of ``NAME`` / ``NAME:key=value,...``."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass

from tasks.base import Task, TaskError

TaskFactory = Callable[..., list[Task]]

_PACKS = ("tasks.email_validation", "tasks.sorting_network", "tasks.humaneval")


@dataclass(frozen=True)
class TaskEntry:
    name: str
    summary: str
    factory: TaskFactory


_REGISTRY: dict[str, TaskEntry] = {}
_loaded = False


def register(name: str, summary: str) -> Callable[[TaskFactory], TaskFactory]:
    """Decorator: register ``factory(**params) -> list[Task]`` under ``name``."""

    def deco(factory: TaskFactory) -> TaskFactory:
        _REGISTRY[name] = TaskEntry(name, summary, factory)
        return factory

    return deco


def _load_packs() -> None:
    global _loaded
    if not _loaded:
        for module in _PACKS:
            importlib.import_module(module)
        _loaded = True


def entries() -> list[TaskEntry]:
    """Every registered task, sorted by name."""
    _load_packs()
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def parse_spec(spec: str) -> tuple[str, dict[str, str]]:
    """Split ``NAME:key=value,...`` into the name and raw string parameters."""
    name, _, rest = spec.strip().partition(":")
    params: dict[str, str] = {}
    if rest:
        for part in rest.split(","):
            key, eq, value = part.partition("=")
            if not eq or not key.strip():
                raise TaskError(f"bad task parameter {part!r} in {spec!r} (expected key=value)")
            params[key.strip()] = value.strip()
    return name, params


def _coerce(factory: TaskFactory, name: str, raw: dict[str, str]) -> dict[str, object]:
    sig = inspect.signature(factory)
    out: dict[str, object] = {}
    for key, value in raw.items():
        if key not in sig.parameters:
            known = ", ".join(sig.parameters) or "none"
            raise TaskError(f"task {name!r} has no parameter {key!r} (parameters: {known})")
        default = sig.parameters[key].default
        kind = (
            type(default) if default is not inspect.Parameter.empty and default is not None else str
        )
        try:
            out[key] = kind(value) if kind is not bool else value.lower() in ("1", "true", "yes")
        except ValueError:
            raise TaskError(
                f"task {name!r}: parameter {key}={value!r} is not a {kind.__name__}"
            ) from None
    return out


def resolve(spec: str) -> list[Task]:
    """All tasks a spec names (``humaneval`` names ten); raise TaskError if unknown."""
    _load_packs()
    name, raw = parse_spec(spec)
    entry = _REGISTRY.get(name)
    if entry is None:
        known = ", ".join(sorted(_REGISTRY))
        raise TaskError(f"unknown task {name!r} (known: {known})")
    return entry.factory(**_coerce(entry.factory, name, raw))


def get_task(spec: str) -> Task:
    """The one task a spec names; raise TaskError if it names none or several."""
    tasks = resolve(spec)
    if len(tasks) != 1:
        raise TaskError(
            f"{spec!r} names {len(tasks)} tasks; pick one (for example {tasks[0].name})"
        )
    return tasks[0]
