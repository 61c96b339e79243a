"""Table and figure formatting shared by the benchmarks (moved out of bench.py), and the
report-only verdict every benchmark ends with."""

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


#: Printed first and last by a `--report-only` run (the README tells readers to look for it).
REPORT_ONLY_BANNER = "REPORT ONLY: targets are not enforced in this run"


def verdict(met: bool, report_only: bool) -> int:
    """The exit code: 1 when a target was missed; a report-only run closes its output with
    the banner and exits 0 whatever the figures."""
    if report_only:
        print(REPORT_ONLY_BANNER, flush=True)
        return 0
    return 0 if met else 1
