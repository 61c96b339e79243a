"""Full-string matchers for the Java-style `pattern` constraints of botocore's models.

AWS models write patterns for java.util.regex: `[^\\p{C}]+`, `[\\p{Upper}\\p{Digit}_]+`,
`^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$`. Python's `re` has no `\\p{...}` classes, so a pattern
made of one (possibly negated) character class with a quantifier is turned into a
per-character predicate over Unicode categories; every other pattern is compiled with `re`
(after the few POSIX classes are spelled out) and matched as a whole string.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Callable

Matcher = Callable[[str], bool]

# java.util.regex POSIX classes (US-ASCII) and the Unicode general categories they name.
_POSIX_CLASSES = {
    "Lower": "a-z",
    "Upper": "A-Z",
    "ASCII": "\\x00-\\x7F",
    "Alpha": "a-zA-Z",
    "Digit": "0-9",
    "Alnum": "a-zA-Z0-9",
    "Punct": "!-/:-@\\[-`{-~",
    "Graph": "!-~",
    "Print": " -~",
    "Blank": " \\t",
    "Cntrl": "\\x00-\\x1F\\x7F",
    "XDigit": "0-9a-fA-F",
    "Space": " \\t\\n\\x0B\\f\\r",
}

_SINGLE_CLASS = re.compile(
    r"^(?P<caret>\^?)(?P<open>\(?)\[(?P<body>(?:\\.|[^\]\\])*)\](?P<quant>[+*])(?P<close>\)?)(?P<dollar>\$?)$"
)
_CLASS_ITEM = re.compile(r"\\p\{(?P<prop>\w+)\}|\\x(?P<hex>[0-9A-Fa-f]{2})|\\(?P<esc>.)|(?P<char>[^\\])")


def _category_predicate(name: str) -> Callable[[str], bool]:
    if name in _POSIX_CLASSES:
        ascii_class = re.compile(f"[{_POSIX_CLASSES[name]}]")
        return lambda ch: ascii_class.match(ch) is not None
    if name.startswith("Is"):
        name = name[2:]
    # One letter ("L") matches a major category, two ("Lu") an exact one.
    if len(name) == 1:
        return lambda ch: unicodedata.category(ch)[0] == name
    return lambda ch: unicodedata.category(ch) == name


def _class_predicate(body: str) -> Callable[[str], bool]:
    negated = body.startswith("^")
    if negated:
        body = body[1:]
    atoms: list[str] = []  # literal characters, in order, for range detection
    predicates: list[Callable[[str], bool]] = []
    for item in _CLASS_ITEM.finditer(body):
        if item.group("prop"):
            predicates.append(_category_predicate(item.group("prop")))
            atoms.append("")  # a class breaks any range
        elif item.group("hex"):
            atoms.append(chr(int(item.group("hex"), 16)))
        elif item.group("esc") is not None:
            esc = item.group("esc")
            atoms.append({"t": "\t", "n": "\n", "r": "\r", "f": "\f"}.get(esc, esc))
        else:
            atoms.append(item.group("char"))
    singles: set[str] = set()
    ranges: list[tuple[str, str]] = []
    i = 0
    raw_items = [m.group(0) for m in _CLASS_ITEM.finditer(body)]
    while i < len(atoms):
        # An unescaped "-" between two literals is a range (a - at either end is literal).
        if (
            i + 2 < len(atoms)
            and raw_items[i + 1] == "-"
            and atoms[i] != ""
            and atoms[i + 2] != ""
        ):
            ranges.append((atoms[i], atoms[i + 2]))
            i += 3
            continue
        if atoms[i] != "":
            singles.add(atoms[i])
        i += 1

    def in_class(ch: str) -> bool:
        if ch in singles:
            return True
        for low, high in ranges:
            if low <= ch <= high:
                return True
        return any(predicate(ch) for predicate in predicates)

    if negated:
        return lambda ch: not in_class(ch)
    return in_class


def _spell_out_posix(pattern: str) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in _POSIX_CLASSES:
            return _POSIX_CLASSES[name]
        raise ValueError(f"unsupported class \\p{{{name}}} in {pattern!r}")

    # Inside a class the expansion is a range list; outside one it needs brackets.
    return re.sub(r"\\p\{(\w+)\}", replace, pattern)


@cache
def compile_pattern(pattern: str) -> Matcher:
    """A function telling whether a whole string satisfies the model's `pattern`."""
    single = _SINGLE_CLASS.match(pattern) if "\\p{" in pattern else None
    if single and bool(single.group("open")) == bool(single.group("close")):
        in_class = _class_predicate(single.group("body"))
        allow_empty = single.group("quant") == "*"
        # ASCII text (nearly every value) is checked by a regex of the class's ASCII members.
        ascii_members = "".join(re.escape(chr(c)) for c in range(128) if in_class(chr(c)))
        ascii_class = re.compile(f"[{ascii_members}]*") if ascii_members else re.compile("")

        def match_class(value: str) -> bool:
            if not value:
                return allow_empty
            if value.isascii():
                return ascii_class.fullmatch(value) is not None
            return all(in_class(ch) for ch in value)

        return match_class
    compiled = re.compile(_spell_out_posix(pattern), re.DOTALL)
    return lambda value: compiled.fullmatch(value) is not None
