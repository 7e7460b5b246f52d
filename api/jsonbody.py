"""Reading a JSON request body safely: bounded nesting and item count, exact numbers.

CPython's JSON decoder recurses once per nesting level, and py-evm raises the recursion limit,
so a body of 100,000 nested arrays overflows the C stack (SIGSEGV) instead of raising. The raw
bytes are therefore checked before parsing, with C-speed byte operations only.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

MAX_DEPTH = 32  # the deepest body the API takes is 3 levels
MAX_ITEMS = 200_000  # values and members; a full readings upload (50,000 lines) is 150,000

_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_STRING = re.compile(rb'"[^"]*"')
_INNERMOST = re.compile(rb"\[\]|\{\}")
_TOO_DEEP = re.compile(rb"[\[{]{%d}" % (MAX_DEPTH + 1))
_OUTSIDE = bytes(b for b in range(256) if b not in b'"[]{},')
_NOT_BRACKETS = b'",'


class TooDeep(BadRequest):
    description = f"The JSON body nests deeper than {MAX_DEPTH} levels."


class TooManyItems(RequestEntityTooLarge):
    description = f"The JSON body has more than {MAX_ITEMS} items."


def check_shape(data: bytes) -> None:
    """Raise TooDeep or TooManyItems unless `data` is within the bounds; cheap for small bodies."""
    opens = data.count(b"[") + data.count(b"{")
    if opens <= MAX_DEPTH and data.count(b",") < MAX_ITEMS:
        return  # cannot be too deep or too long, whatever the strings contain
    if b"\\" in data:
        data = _ESCAPE.sub(b"", data)  # no escaped quote is left to end a string early
    structure = data.translate(None, _OUTSIDE).replace(b'""', b"")  # plain strings go first
    if b'"' in structure:  # strings holding brackets or commas
        structure = _STRING.sub(b"", structure)
    if structure.count(b",") >= MAX_ITEMS:
        raise TooManyItems()
    _check_depth(structure.translate(None, _NOT_BRACKETS))


def _check_depth(brackets: bytes) -> None:
    """Peel one level of innermost pairs per round; anything left after MAX_DEPTH is too deep."""
    removed = 0
    for _ in range(MAX_DEPTH):
        if _TOO_DEEP.search(brackets):
            raise TooDeep()
        brackets, removed = _INNERMOST.subn(b"", brackets)
        if not removed:
            break
    if brackets and removed:
        raise TooDeep()
    if brackets:
        raise BadRequest("The body is not valid JSON: its brackets do not balance.")


def loads(data: bytes) -> Any:
    """Parse a request body after check_shape; fractions become Decimal, never float."""
    check_shape(data)
    try:
        return json.loads(data.decode("utf-8"), parse_float=Decimal)
    except UnicodeDecodeError as exc:
        raise BadRequest(f"The body is not UTF-8: {exc.reason}.") from None
    except json.JSONDecodeError as exc:
        raise BadRequest(f"The body is not valid JSON: {exc.msg} at {exc.pos}.") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise BadRequest(f"The body is not acceptable JSON: {exc}.") from None
