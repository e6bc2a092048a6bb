"""Canonical, type-strict JSON encoding of plain values.

This module is deliberately standard-library only: its source is also shipped into the
sandbox worker, so the bytes a candidate's output encodes to in the worker and the bytes an
oracle label encodes to in the arena process come from the very same function. A verdict is
then a byte comparison, and no object a candidate built can take part in it.

Encoding (``to_wire``): ``None``, ``bool``, ``int``, ``str`` and finite ``float`` map to
themselves; ``list`` to a JSON array; ``tuple`` to ``{"T": [...]}``; ``dict`` to
``{"D": [[k, v], ...]}`` sorted by the encoded key; non-finite floats to ``{"F": "nan"}``,
``{"F": "inf"}`` or ``{"F": "-inf"}``. Exact types are required (no subclasses), so ``True``,
``1`` and ``1.0`` encode differently.
"""

import json
import math
from typing import Any

MAX_DEPTH = 64


class WireError(ValueError):
    """A value that has no canonical encoding (unsupported type, too deep, too large)."""


def to_wire(value: Any, _depth: int = 0) -> Any:
    """Return the JSON-compatible canonical form of ``value``; raise WireError if impossible."""
    t = type(value)
    if t is str or t is bool or t is int or value is None:
        return value
    if t is float:
        if math.isfinite(value):
            return value
        return {"F": "nan" if value != value else ("inf" if value > 0 else "-inf")}
    if _depth >= MAX_DEPTH:
        raise WireError("value nested too deeply")
    d = _depth + 1
    if t is list:
        return [to_wire(v, d) for v in value]
    if t is tuple:
        return {"T": [to_wire(v, d) for v in value]}
    if t is dict:
        items = [[to_wire(k, d), to_wire(v, d)] for k, v in value.items()]
        items.sort(key=lambda kv: dumps_wire(kv[0]))
        return {"D": items}
    raise WireError("unsupported type " + t.__name__)


def from_wire(data: Any) -> Any:
    """Invert ``to_wire``: rebuild plain Python values from their canonical form."""
    if isinstance(data, list):
        return [from_wire(v) for v in data]
    if isinstance(data, dict):
        if "T" in data:
            return tuple(from_wire(v) for v in data["T"])
        if "D" in data:
            return {_hashable(from_wire(k)): from_wire(v) for k, v in data["D"]}
        if "F" in data:
            return float(data["F"])
        raise WireError("unknown tag in canonical value")
    return data


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        raise WireError("list used as a dict key")
    return value


_ENCODER = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), allow_nan=False)


def dumps_wire(wire: Any) -> str:
    """Serialize an already-canonical value to its one canonical text."""
    return _ENCODER.encode(wire)


def canonical(value: Any) -> str:
    """The canonical text of a plain value: ``dumps_wire(to_wire(value))``."""
    return dumps_wire(to_wire(value))
