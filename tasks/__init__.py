"""Tasks: problems with trusted oracles, input strategies, and fixed and hidden suites."""

from tasks.base import Args, Case, InvalidInput, MutationOperator, Outcome, Suite, Task, TaskError
from tasks.registry import entries, get_task, register, resolve

__all__ = [
    "Args",
    "Case",
    "InvalidInput",
    "MutationOperator",
    "Outcome",
    "Suite",
    "Task",
    "TaskError",
    "entries",
    "get_task",
    "register",
    "resolve",
]
