"""What the build steps share: the options and the county built so far."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field

from lianxin.core.models import User
from lianxin.network.models import Community, Department, Institution
from lianxin.workforce.models import Practitioner

DEFAULT_RESIDENTS = 5000
DEFAULT_VILLAGES = 150
DEFAULT_SEED = 627  # any number; the county code's last digits, for a memorable default
# The one demo password, documented in the README. Only ``lianxin demo`` (which refuses to run
# outside LIANXIN_MODE=demo) ever creates accounts with it.
DEMO_PASSWORD = "lianxin-demo"  # noqa: S105 - published on purpose, demo mode only


@dataclass(frozen=True)
class DemoOptions:
    residents: int = DEFAULT_RESIDENTS
    villages: int = DEFAULT_VILLAGES
    seed: int = DEFAULT_SEED
    # Ages are counted back from this day; a fixed day makes two builds identical.
    today: datetime.date = field(default_factory=datetime.date.today)
    batch_size: int = 10_000

    def __post_init__(self) -> None:
        if self.residents < 0:
            raise ValueError("residents cannot be negative")
        if self.villages < 11:
            raise ValueError("the county needs at least one village per township (11)")


@dataclass
class DemoCounty:
    """The county being built. Steps fill it in; later steps read what earlier ones made."""

    options: DemoOptions
    rng: random.Random
    tertiary: Institution | None = None
    county_hospital: Institution | None = None
    county_tcm: Institution | None = None
    county_mch: Institution | None = None
    commission: Institution | None = None
    townships: list[Institution] = field(default_factory=list)
    villages: list[Institution] = field(default_factory=list)
    other_hospitals: list[Institution] = field(default_factory=list)
    county_community: Community | None = None
    alliance: Community | None = None
    # (institution id, department code) → department
    departments: dict[tuple[int, str], Department] = field(default_factory=dict)
    practitioners: list[Practitioner] = field(default_factory=list)
    # username → (user, role, institution)
    accounts: dict[str, tuple[User, str, Institution]] = field(default_factory=dict)
    residents: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    def department(self, institution: Institution, code: str) -> Department:
        return self.departments[(institution.pk, code)]

    def township_of(self, village: Institution) -> Institution:
        return next(t for t in self.townships if t.pk == village.parent_id)
