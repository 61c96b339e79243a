"""The fleet indexing query language, the subset dynamic thing groups use
(https://docs.aws.amazon.com/iot/latest/developerguide/query-syntax.html), compiled once into
a predicate over one thing.

Why not moto's `FakeThing.matches`: it parses the query again for every thing, compares
attribute values case-sensitively, has no comparisons, ranges or shadow fields, and turns an
unknown field into a substring match on the thing name. A dynamic group evaluates its query
on every registry change, so the query is parsed once here and refused (InvalidQueryException)
when it does not parse.

Supported: `field:value` (values match case-insensitively; `*` and `?` wildcards, no leading
wildcard except `field:*`, which means "has the field"), `field>n`, `>=`, `<`, `<=`,
`field:[a TO b]` / `{a TO b}` ranges (either bracket on either side, `*` for an open end),
quoted values, `AND` (also implied), `OR`, `NOT`, `-term`, parentheses; at most 7 terms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Callable, Optional

from moto_iotjobs.protocol.errors import InvalidQueryException

#: A thing as the query sees it: field name -> value(s) (None when absent).
Lookup = Callable[[str], Any]
Predicate = Callable[[Lookup], bool]

MAX_TERMS = 7

_FIELD = re.compile(
    r"^(?:thingName|thingId|thingTypeName|thingGroupNames|attributes\.[A-Za-z0-9_.,@/:#-]+"
    r"|shadow\.(?:hasDelta|version|(?:reported|desired)\.[^\s:<>]+)"
    r"|shadow\.name\.[^\s.:<>]+\.(?:hasDelta|version|(?:reported|desired)\.[^\s:<>]+)"
    r"|connectivity\.(?:connected|timestamp|disconnectReason))$"
)
_FIELD_CHARS = re.compile(r"[^\s:<>()\"]+")
_OPERATORS = ("AND", "OR", "NOT")


def _fail(query: str, why: str) -> InvalidQueryException:
    return InvalidQueryException(f"Unable to parse query, {why}: {query}")


def _tokens(query: str) -> list[tuple[str, Any]]:
    """('(' | ')' | 'AND' | 'OR' | 'NOT' | 'TERM', payload) in order."""
    out: list[tuple[str, Any]] = []
    i, n = 0, len(query)
    while i < n:
        c = query[i]
        if c.isspace():
            i += 1
        elif c in "()":
            out.append((c, None))
            i += 1
        elif c == "-" and (i == 0 or query[i - 1].isspace() or query[i - 1] == "("):
            out.append(("NOT", None))
            i += 1
        else:
            match = _FIELD_CHARS.match(query, i)
            if match is None:
                raise _fail(query, f"unexpected character {c!r}")
            word, i = match.group(0), match.end()
            if word in _OPERATORS and (i >= n or query[i] not in ":<>"):
                out.append((word, None))
                continue
            if word == "*" and (i >= n or query[i] not in ":<>"):
                out.append(("TERM", ("*", ":", "*")))
                continue
            if i >= n or query[i] not in ":<>":
                raise _fail(query, f"a term needs a field and a value ({word!r})")
            op = query[i]
            i += 1
            if op in "<>" and i < n and query[i] == "=":
                op += "="
                i += 1
            value, i = _value(query, i)
            out.append(("TERM", (word, op, value)))
    return out


def _value(query: str, i: int) -> tuple[Any, int]:
    n = len(query)
    if i < n and query[i] == '"':
        end = query.find('"', i + 1)
        if end < 0:
            raise _fail(query, "unterminated quoted value")
        return ("exact", query[i + 1 : end]), end + 1
    if i < n and query[i] in "[{":
        end = min((j for j in (query.find("]", i), query.find("}", i)) if j >= 0), default=-1)
        if end < 0:
            raise _fail(query, "unterminated range")
        parts = query[i + 1 : end].split()
        if len(parts) != 3 or parts[1] != "TO":
            raise _fail(query, "a range is [low TO high]")
        return ("range", parts[0], parts[2], query[i] == "[", query[end] == "]"), end + 1
    match = re.compile(r"[^\s()]+").match(query, i)
    if match is None:
        raise _fail(query, "a term has no value")
    return ("word", match.group(0)), match.end()


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = _tokens(query)
        self.pos = 0
        self.terms = 0

    def peek(self) -> Optional[str]:
        return self.tokens[self.pos][0] if self.pos < len(self.tokens) else None

    def parse(self) -> Predicate:
        if not self.tokens:
            raise _fail(self.query, "the query is empty")
        predicate = self.or_expr()
        if self.pos != len(self.tokens):
            raise _fail(self.query, f"unexpected {self.peek()}")
        if self.terms > MAX_TERMS:
            raise _fail(self.query, f"a query can have at most {MAX_TERMS} terms")
        return predicate

    def or_expr(self) -> Predicate:
        parts = [self.and_expr()]
        while self.peek() == "OR":
            self.pos += 1
            parts.append(self.and_expr())
        return _any(parts)

    def and_expr(self) -> Predicate:
        parts = [self.not_expr()]
        while self.peek() in ("AND", "NOT", "(", "TERM"):
            if self.peek() == "AND":
                self.pos += 1
            parts.append(self.not_expr())
        return _all(parts)

    def not_expr(self) -> Predicate:
        if self.peek() == "NOT":
            self.pos += 1
            inner = self.not_expr()
            return lambda thing: not inner(thing)
        return self.primary()

    def primary(self) -> Predicate:
        kind = self.peek()
        if kind == "(":
            self.pos += 1
            inner = self.or_expr()
            if self.peek() != ")":
                raise _fail(self.query, "missing )")
            self.pos += 1
            return inner
        if kind != "TERM":
            raise _fail(self.query, f"expected a term, found {kind or 'the end'}")
        field, op, value = self.tokens[self.pos][1]
        self.pos += 1
        self.terms += 1
        return _term(self.query, field, op, value)


def _any(parts: list[Predicate]) -> Predicate:
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        first, second = parts
        return lambda thing: first(thing) or second(thing)
    return lambda thing: any(p(thing) for p in parts)


def _all(parts: list[Predicate]) -> Predicate:
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        first, second = parts
        return lambda thing: first(thing) and second(thing)
    return lambda thing: all(p(thing) for p in parts)


def compile_query(query: str) -> tuple[Predicate, frozenset[str]]:
    """The predicate of `query` and the fields it reads; InvalidQueryException when it does
    not parse."""
    parser = _Parser(query)
    predicate = parser.parse()
    fields = frozenset(t[1][0] for t in parser.tokens if t[0] == "TERM")
    return predicate, fields


# --- terms ----------------------------------------------------------------------------------


def _number(text: Any) -> Optional[float]:
    if isinstance(text, bool):
        return None
    if isinstance(text, (int, float)):
        return float(text)
    try:
        return float(str(text))
    except ValueError:
        return None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _values(value: Any) -> Iterable[Any]:
    if value is None:
        return ()
    if isinstance(value, (list, tuple, set, frozenset)):
        return value
    return (value,)


def _compare(a: Any, b: str) -> Optional[int]:
    """-1, 0, 1 comparing a field value with a query value: numbers as numbers, else text."""
    x, y = _number(a), _number(b)
    if x is not None and y is not None:
        return (x > y) - (x < y)
    if isinstance(a, (dict, list)):
        return None
    left, right = _text(a).lower(), b.lower()
    return (left > right) - (left < right)


def _term(query: str, field: str, op: str, value: tuple) -> Predicate:
    if field == "*":
        return lambda thing: True
    if _FIELD.match(field) is None:
        raise _fail(query, f"invalid field name: {field}")
    kind = value[0]
    if op != ":":
        if kind != "word":
            raise _fail(query, f"{op} takes a single value")
        bound, sign = value[1], op

        def compare(thing: Lookup) -> bool:
            for item in _values(thing(field)):
                c = _compare(item, bound)
                if c is not None and ((c > 0) if sign == ">" else (c >= 0) if sign == ">=" else
                                      (c < 0) if sign == "<" else (c <= 0)):
                    return True
            return False

        return compare
    if kind == "range":
        _, low, high, low_inclusive, high_inclusive = value

        def in_range(thing: Lookup) -> bool:
            for item in _values(thing(field)):
                above = low == "*" or ((c := _compare(item, low)) is not None and (c > 0 or (c == 0 and low_inclusive)))
                below = high == "*" or ((c := _compare(item, high)) is not None and (c < 0 or (c == 0 and high_inclusive)))
                if above and below:
                    return True
            return False

        return in_range
    text = value[1]
    if kind == "word" and text == "*":
        return lambda thing: thing(field) is not None
    if kind == "word" and ("*" in text or "?" in text):
        if text[0] in "*?":
            raise _fail(query, f"a value cannot start with a wildcard: {text}")
        pattern = re.compile(
            "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in text),
            re.IGNORECASE | re.DOTALL,
        )
        return lambda thing: any(pattern.fullmatch(_text(v)) for v in _values(thing(field)))
    wanted = text.lower()
    wanted_number = _number(text)

    def equals(thing: Lookup) -> bool:
        value = thing(field)
        if value is None:
            return False
        if type(value) is str:  # the common case: registry attributes are strings
            if value.lower() == wanted:
                return True
            return wanted_number is not None and _number(value) == wanted_number
        for item in _values(value):
            if wanted_number is not None and _number(item) == wanted_number:
                return True
            if not isinstance(item, (dict, list)) and _text(item).lower() == wanted:
                return True
        return False

    return equals
