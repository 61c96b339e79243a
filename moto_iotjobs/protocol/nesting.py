"""Deep nesting and lone surrogates: checked without recursion, parsed with enough stack.

Python's json module (and every recursive walk) stops at the interpreter's recursion limit,
about 1,000 frames *including* the frames already on the stack, so a value nested 950 deep
failed or passed depending on where it was parsed. The live service accepts job documents
nested up to 1,000 levels (`MAX_DOCUMENT_DEPTH`, see docs/live-service.md "Deep documents");
request bodies never need more than `MAX_BODY_DEPTH` levels (no input shape of the served
models is deeper, `tests/reliability/test_deep_input.py` checks it), so deeper bodies are
refused before anything recursive (validation, error messages) sees them.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Callable, Optional

#: Deepest job document the live service accepts (1,001 levels: InvalidRequestException).
MAX_DOCUMENT_DEPTH = 1000
#: Deepest request body any served operation's input shape needs, with room to spare.
MAX_BODY_DEPTH = 64
#: Frames kept free above a deep parse for what the parser itself calls.
_MARGIN = 200

_CONTAINER = re.compile(r'[\[\]{}"\\]')
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
#: a lone UTF-16 surrogate in a str (parsing checks plain string members with it directly)
LONE_SURROGATE = _LONE_SURROGATE


def text_depth(text: str, stop_above: int = sys.maxsize) -> int:
    """Deepest nesting of JSON arrays/objects in `text` (a top-level `{}` is 1), scanning
    iteratively; stops counting once past `stop_above`. Text inside strings is skipped."""
    if text.count("[") + text.count("{") <= 1:  # the common shallow case, at C speed
        return 1 if ("{" in text or "[" in text) else 0
    depth = deepest = 0
    in_string = False
    escaped_at = -1  # position of the character a backslash escapes
    for match in _CONTAINER.finditer(text):
        char, at = match.group(), match.start()
        if in_string:
            if at == escaped_at:
                continue
            if char == "\\":
                escaped_at = at + 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > stop_above:
                    return deepest
        elif char in "]}":
            depth -= 1
    return deepest


def value_depth(value: Any, stop_above: int = sys.maxsize) -> int:
    """Deepest nesting of lists/dicts in a parsed value, walked without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > deepest:
            deepest = depth
            if deepest > stop_above:
                return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def lone_surrogate(value: Any) -> Optional[str]:
    """The first string (key or value) holding a lone UTF-16 surrogate, which is not Unicode
    text and cannot be written as UTF-8; None when there is none."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _LONE_SURROGATE.search(item):
                return item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


_headroom_lock = threading.Lock()
_headroom_users = 0
_original_limit = 0


def _stack_depth() -> int:
    frame = sys._getframe()
    depth = 0
    while frame is not None:
        depth += 1
        frame = frame.f_back  # type: ignore[assignment]
    return depth


@contextmanager
def recursion_headroom(levels: int) -> Iterator[None]:
    """Room for `levels` more frames than the stack holds now. The limit is process-wide: it
    is raised while any thread needs it and put back when the last one is done (never lowered
    under another thread's deep parse)."""
    global _headroom_users, _original_limit
    needed = _stack_depth() + levels + _MARGIN
    with _headroom_lock:
        if _headroom_users == 0:
            _original_limit = sys.getrecursionlimit()
        _headroom_users += 1
        if sys.getrecursionlimit() < needed:
            sys.setrecursionlimit(needed)
    try:
        yield
    finally:
        with _headroom_lock:
            _headroom_users -= 1
            if _headroom_users == 0:
                sys.setrecursionlimit(_original_limit)


def deep_call(call: Callable[[], Any], levels: int = MAX_DOCUMENT_DEPTH + 8) -> Any:
    """`call()`, retried with `levels` of recursion headroom if the stack ran out: the
    common, shallow case costs nothing extra."""
    try:
        return call()
    except RecursionError:
        with recursion_headroom(levels):
            return call()


def loads(text: str, decode: Callable[[str], Any] = json.loads) -> Any:
    """json.loads (or `decode`) for values nested up to a job document's depth."""
    return deep_call(lambda: decode(text))


_compact = json.JSONEncoder(separators=(",", ":")).encode


def dumps(value: Any) -> str:
    """Compact JSON for values nested up to a job document's depth."""
    return str(deep_call(lambda: _compact(value)))
