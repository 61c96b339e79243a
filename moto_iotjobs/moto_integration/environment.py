"""moto's environment variables, read on every request at the cost of a dict lookup.

`os.environ.get` of an absent variable raises and catches a KeyError inside; moto's
settings (`MOTO_ACCOUNT_ID`, `MOTO_S3_CUSTOM_ENDPOINTS`) are usually absent, and are read
for every request the plugin answers (#19).
"""

from __future__ import annotations

import os
from typing import Callable, Optional


def environment_variable(name: str) -> Callable[[], Optional[str]]:
    """A reader of one environment variable, current on every call. `os.environ.get` of an
    absent variable raises and catches a KeyError inside (0.8 µs a request, #19); this reads
    the same dict os.environ writes to, and falls back to `os.environ.get` whenever
    os.environ is not that object (replaced, or another platform's layout)."""
    environ = os.environ
    data = getattr(environ, "_data", None)
    encode_key = getattr(environ, "encodekey", None)
    decode_value = getattr(environ, "decodevalue", None)
    if type(data) is not dict or encode_key is None or decode_value is None:
        return lambda: os.environ.get(name)
    key = encode_key(name)

    def read() -> Optional[str]:
        if os.environ is not environ:
            return os.environ.get(name)
        value = data.get(key)
        return None if value is None else str(decode_value(value))

    return read
