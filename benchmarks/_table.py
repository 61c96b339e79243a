"""Table and figure formatting shared by the benchmarks (moved out of bench.py)."""

from __future__ import annotations


def fmt_size(n: int) -> str:
    return f"{n} B" if n < 1024 else f"{n / 1024:.1f} KB"


def ratio(a: dict | None, b: dict | None) -> str:
    if a and b and "ms" in a and "ms" in b and b["ms"] > 0:
        return f"{a['ms'] / b['ms']:.2f}x"
    return "n/a"


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)))
