"""Family doctors: teams, packages, contracts, key populations, follow-up plans and visits."""

from lianxin.primarycare.models.contracts import (
    Contract,
    ContractPackage,
    ContractStatus,
    KeyPopulation,
    PopulationSource,
)
from lianxin.primarycare.models.followup import (
    CARE_PLAN,
    Assessment,
    FollowUpPlan,
    FollowUpPlanTransition,
    Programme,
    Visit,
    end_of_day,
)
from lianxin.primarycare.models.teams import (
    PackageItem,
    ServicePackage,
    Team,
    TeamMember,
    TeamVillage,
)

__all__ = [
    "CARE_PLAN",
    "Assessment",
    "Contract",
    "ContractPackage",
    "ContractStatus",
    "FollowUpPlan",
    "FollowUpPlanTransition",
    "KeyPopulation",
    "PackageItem",
    "PopulationSource",
    "Programme",
    "ServicePackage",
    "Team",
    "TeamMember",
    "TeamVillage",
    "Visit",
    "end_of_day",
]
