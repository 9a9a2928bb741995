"""Demo step 4: one login per role, all with the demo password (``context.DEMO_PASSWORD``).

The village and township accounts sit in 书洋镇, a remote township, so that the demo's referrals
travel the whole way: village clinic → township centre → county hospital → tertiary hospital.
Clinicians get a ``Practitioner`` linked to their account.
"""

from __future__ import annotations

from dataclasses import dataclass

from faker import Faker

from lianxin.core.models import User
from lianxin.core.permissions import Role
from lianxin.demo.context import DEMO_PASSWORD, DemoCounty
from lianxin.network.models import Institution
from lianxin.workforce.models import Membership, Practitioner, Profession, Specialty, Title

DEMO_TOWNSHIP = 8  # index of 书洋镇 in county.TOWNSHIPS


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    place: str  # which institution of the DemoCounty (see ``institution_for``)
    department: str | None = None
    title: str | None = None  # a title makes the account a practitioner too
    specialty: str | None = None


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("village", Role.CLINICIAN, "village", None, Title.VILLAGE_DOCTOR, "02"),
    DemoAccount("township", Role.CLINICIAN, "township", "QK", Title.ATTENDING, "02"),
    DemoAccount("specialist", Role.CLINICIAN, "county", "XXG", Title.ASSOCIATE_CHIEF, "03.04"),
    DemoAccount("tertiary", Role.CLINICIAN, "tertiary", "XXG", Title.CHIEF, "03.04"),
    DemoAccount("imaging", Role.CENTRE_STAFF, "county", "YXZX", Title.ATTENDING, "32"),
    DemoAccount("outreach", Role.OUTREACH_OFFICER, "tertiary", "WLB"),
    DemoAccount("emergency", Role.EMERGENCY_DESK, "county", "JZ"),
    DemoAccount("head", Role.DEPARTMENT_HEAD, "county", "XXG", Title.CHIEF, "03.04"),
    DemoAccount("duty", Role.DUTY_OFFICER, "county", "YWK"),
    DemoAccount("admin", Role.INSTITUTION_ADMIN, "county"),
    # The network administrator acts for the county community's lead hospital.
    DemoAccount("network", Role.NETWORK_ADMIN, "county"),
    DemoAccount("commission", Role.COMMISSION, "commission"),
    # The patient index's administrators: the county hospital's, and the demo township's (who
    # also keeps its village clinics' index); a merge across the two is proposed and confirmed.
    DemoAccount("mpi", Role.MPI_ADMIN, "county"),
    DemoAccount("mpitown", Role.MPI_ADMIN, "township"),
    # The community's sterile supply centre, and a nurse of the township's surgery who receives,
    # uses and returns its packs (the centre's second person, who checks packing, is last).
    DemoAccount("cssd", Role.STERILE_STAFF, "county", "XDGY"),
    DemoAccount("nurse", Role.NURSE, "township", "WK"),
    # A second person of the centre: packing is checked by someone other than the packer.
    DemoAccount("cssd2", Role.STERILE_STAFF, "county", "XDGY"),
)


def institution_for(county: DemoCounty, place: str) -> Institution:
    township = county.townships[DEMO_TOWNSHIP]
    return {
        "village": lambda: next(v for v in county.villages if v.parent_id == township.pk),
        "township": lambda: township,
        "county": lambda: county.county_hospital,
        "tertiary": lambda: county.tertiary,
        "commission": lambda: county.commission,
    }[place]()


def build_accounts(county: DemoCounty) -> None:
    faker = Faker("zh_CN")
    faker.seed_instance(county.options.seed + 1)
    specialties = {s.code: s for s in Specialty.objects.all()}
    # One hash for all: the same password, and Argon2 is deliberately slow.
    probe = User(username="probe")
    probe.set_password(DEMO_PASSWORD)
    for index, account in enumerate(DEMO_ACCOUNTS):
        institution = institution_for(county, account.place)
        department = (
            county.departments.get((institution.pk, account.department))
            if account.department
            else None
        )
        female = index % 2 == 1
        name = faker.name_female() if female else faker.name_male()
        user = User.objects.create(
            username=account.username,
            display_name=name,
            password=probe.password,
            phone=f"1390596{index:04d}",
        )
        Membership.objects.create(
            user=user, institution=institution, department=department, role=account.role
        )
        if account.title:
            practitioner = Practitioner.objects.create(
                name=name,
                sex="F" if female else "M",
                profession=Profession.PHYSICIAN,
                title=account.title,
                licence_number=f"110{institution.division_code[:6]}9{index:05d}",
                institution=institution,
                department=department,
                user=user,
            )
            if account.specialty in specialties:
                practitioner.specialties.add(specialties[account.specialty])
        county.accounts[account.username] = (user, account.role, institution)
