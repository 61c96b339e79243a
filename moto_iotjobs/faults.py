"""Fault injection: make chosen operations fail with modelled errors (see issue #5)."""

from __future__ import annotations


def check_fault(plane: str, operation: str) -> None:
    """Raise the injected error for this call, if any."""
