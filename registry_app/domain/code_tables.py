"""The code tables behind the document checks, read once from resources/documents/ (see its README):
ISO 3166-1 countries (nationality on the foreign permanent-residence card) and the county-level address
codes known to have been withdrawn from GB/T 2260."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache

from registry_app.resources import resources_dir

# China itself and its Hong Kong, Macao and Taiwan regions are in ISO 3166-1, but their people are not
# foreigners: they hold a resident ID or a residence permit, never a foreigner's permanent-residence card.
NOT_FOREIGN = frozenset({"156", "344", "446", "158"})


@dataclass(frozen=True)
class Country:
    numeric: str
    alpha3: str
    name_en: str
    name_zh: str

    @property
    def foreign(self) -> bool:
        return self.numeric not in NOT_FOREIGN

    def to_dict(self) -> dict:
        return {"numeric": self.numeric, "alpha3": self.alpha3, "name": self.name_zh, "name_en": self.name_en}


@dataclass(frozen=True)
class AbolishedCode:
    code: str
    name: str
    abolished: int
    merged_into: str


def _rows(name: str) -> list[dict]:
    with (resources_dir() / "documents" / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@lru_cache(maxsize=1)
def _countries() -> tuple[dict[str, Country], dict[str, Country]]:
    rows = [Country(r["numeric"], r["alpha3"], r["name_en"], r["name_zh"]) for r in _rows("countries.csv")]
    return {c.numeric: c for c in rows}, {c.alpha3: c for c in rows}


def country_by_numeric(code: str) -> Country | None:
    return _countries()[0].get(code)


def country_by_alpha3(code: str) -> Country | None:
    return _countries()[1].get(code)


@lru_cache(maxsize=1)
def _abolished() -> dict[str, AbolishedCode]:
    return {r["code"]: AbolishedCode(r["code"], r["name"], int(r["abolished"]), r["merged_into"])
            for r in _rows("abolished-address-codes.csv")}


def abolished_code(code: str) -> AbolishedCode | None:
    """The withdrawal of a county-level address code, when the (incomplete) table knows it."""
    return _abolished().get(code)
