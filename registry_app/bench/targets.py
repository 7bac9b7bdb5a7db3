"""The speed targets at 1,000,000 records, each reported as met or not (never a test assertion)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    name: str
    text: str
    limit: float
    at_most: bool = True

    def check(self, value: float | None) -> dict:
        met = value is not None and (value <= self.limit if self.at_most else value >= self.limit)
        return {"name": self.name, "target": self.text, "value": None if value is None else round(value, 3),
                "met": bool(met)}


TARGETS = (
    Target("lookup_id_p95_ms", "p95 <= 10 ms", 10),
    Target("lookup_certificate_p95_ms", "p95 <= 10 ms", 10),
    Target("name_search_p95_ms", "p95 <= 50 ms", 50),
    Target("registration_p95_ms", "p95 <= 30 ms", 30),
    Target("certificate_pdf_median_ms", "median <= 60 ms", 60),
    Target("export_1000_s", "<= 1 s", 1),
    Target("export_100000_s", "<= 30 s", 30),
    Target("import_rows_per_s", ">= 20000 rows/s", 20_000, at_most=False),
    Target("import_vs_raw_ratio", "<= 3x raw executemany", 3),
    Target("encryption_lookup_ratio", "<= 1.5x plain SQLite", 1.5),
    Target("encryption_import_ratio", "<= 1.5x plain SQLite", 1.5),
    Target("cold_start_s", "<= 2 s to the login window", 2),
    Target("peak_memory_mb", "<= 600 MB", 600),
)

# What encryption costs is a question of the SQLCipher file; on PostgreSQL encryption is the server's.
SQLCIPHER_ONLY = frozenset({"encryption_lookup_ratio", "encryption_import_ratio"})


def targets_for(engine: str) -> tuple[Target, ...]:
    return TARGETS if engine == "sqlcipher" else tuple(t for t in TARGETS if t.name not in SQLCIPHER_ONLY)
