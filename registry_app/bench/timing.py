"""Timing helpers: samples in milliseconds, medians and 95th percentiles."""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from typing import Callable


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation between closest ranks."""
    if not values:
        return 0.0
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    k = (len(ordered) - 1) * q / 100.0
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


@dataclass
class Samples:
    """Durations of one operation, in milliseconds."""

    ms: list[float] = field(default_factory=list)

    def time(self, fn: Callable, *args, **kwargs):
        started = time.perf_counter()
        result = fn(*args, **kwargs)
        self.ms.append((time.perf_counter() - started) * 1000.0)
        return result

    @property
    def median(self) -> float:
        return statistics.median(self.ms) if self.ms else 0.0

    @property
    def p95(self) -> float:
        return percentile(self.ms, 95)


def operation(samples: Samples, baseline: Samples, *, per: int | None = None) -> dict:
    """One entry of the report's `operations`. `per` = items handled per run, for a throughput (per_s)."""
    median = samples.median
    base = baseline.median
    out = {
        "count": len(samples.ms),
        "median_ms": round(median, 3),
        "p95_ms": round(samples.p95, 3),
        "baseline_median_ms": round(base, 3),
        "ratio": round(median / base, 2) if base > 0 else 0.0,
    }
    if per:
        out["per_s"] = round(per / (median / 1000.0), 1) if median > 0 else 0.0
    return out
