"""The generator's small value types: the run's summary, and people and marriages along the timeline."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class DemoSummary:
    records: int = 0
    marriages: int = 0
    divorces: int = 0
    remarriages: int = 0            # marriage records in which at least one party was divorced
    recouplings: int = 0            # 复婚: the same couple again
    dissolved: int = 0
    reissues: int = 0
    adoptions: int = 0
    back_entered: int = 0
    events: int = 0
    seed: int = 0
    until: str = ""
    seconds: float = 0.0
    last_numbers: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


class _Person:
    __slots__ = ("name", "sex", "birth", "id_number", "region", "ethnicity", "education", "occupation")

    def __init__(self, name, sex, birth, id_number, region, ethnicity, education, occupation):
        self.name = name
        self.sex = sex
        self.birth = birth              # dt.date or None
        self.id_number = id_number      # str or None
        self.region = region
        self.ethnicity = ethnicity
        self.education = education
        self.occupation = occupation


class _Marriage:
    """What later events of a marriage need: its record, its couple, its live certificates."""

    __slots__ = ("record_id", "uid", "p1", "p2", "cert_ids", "alive", "date")

    def __init__(self, record_id, uid, p1, p2, cert, date):
        self.record_id = record_id
        self.uid = uid
        self.p1 = p1
        self.p2 = p2
        self.cert_ids = [cert]  # (certificate id, number) of the certificates now valid
        self.alive = True
        self.date = date
