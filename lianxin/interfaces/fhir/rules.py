"""Code systems, identifier systems and code maps of the FHIR façade, as data with their sources.

Systems that a national standard names (the resident ID number's OID) come from that standard;
everything Lianxin itself issues (institution codes, record numbers, titles) gets a URN under
``urn:lianxin:`` so that a receiver can tell whose namespace a value lives in.
"""

from __future__ import annotations

from dataclasses import dataclass

WST_500 = "WS/T 500-2016《电子病历共享文档规范》OID 分配 (2.16.156.10011.1.x)"
GBT_2261 = "GB/T 2261.1-2003《个人基本信息分类与代码 第1部分：人的性别代码》"
FHIR_GENDER = "FHIR R4 ValueSet administrative-gender (http://hl7.org/fhir/administrative-gender)"
FHIR_ORG_TYPE = "FHIR R4 CodeSystem organization-type (terminology.hl7.org)"
HL7_V2_0203 = "HL7 v2 Table 0203 Identifier Type (terminology.hl7.org CodeSystem v2-0203)"
FHIR_LOCATION_TYPE = "FHIR R4 CodeSystem location-physical-type (terminology.hl7.org)"
FHIR_PRACTITIONER_ROLE = "FHIR R4 CodeSystem practitioner-role (terminology.hl7.org)"
LIANXIN = "Lianxin's own namespace (docs/interfaces/fhir.md)"


@dataclass(frozen=True)
class System:
    uri: str
    meaning: str
    source: str


# 患者身份证件号码: the OID that WS/T 500 assigns to the resident ID number.
RESIDENT_ID = System("urn:oid:2.16.156.10011.1.3", "居民身份证号 (GB 11643-1999)", WST_500)
INSTITUTION_CODE = System(
    "urn:lianxin:institution-code", "医疗机构登记号 (registration code of the licence)", LIANXIN
)
PRACTITIONER_LICENCE = System(
    "urn:lianxin:practitioner-licence", "执业证书编码 (practising certificate number)", LIANXIN
)
INSTITUTION_TIER = System("urn:lianxin:institution-tier", "tier of an institution", LIANXIN)
TITLE = System("urn:lianxin:title", "职称 (professional title)", LIANXIN)
QUALIFICATION = System("urn:lianxin:qualification", "kind of qualification", LIANXIN)
SPECIALTY = System("urn:lianxin:specialty", "诊疗科目 (workforce.rules.SPECIALTIES)", LIANXIN)
ORGANIZATION_TYPE = System(
    "http://terminology.hl7.org/CodeSystem/organization-type", "organization type", FHIR_ORG_TYPE
)
IDENTIFIER_TYPE = System(
    "http://terminology.hl7.org/CodeSystem/v2-0203", "identifier type", HL7_V2_0203
)
LOCATION_PHYSICAL_TYPE = System(
    "http://terminology.hl7.org/CodeSystem/location-physical-type",
    "physical form of a location",
    FHIR_LOCATION_TYPE,
)
PRACTITIONER_ROLE = System(
    "http://terminology.hl7.org/CodeSystem/practitioner-role", "role code", FHIR_PRACTITIONER_ROLE
)
FHIR_SECURITY_LABEL = System(
    "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "security labels (REDACTED)",
    "FHIR R4 security labels (v3 ObservationValue)",
)


def record_number_system(institution_code: str, kind: str) -> str:
    """Each institution issues its own record numbers, so each has its own system."""
    return f"urn:lianxin:institution:{institution_code}:{kind}"


def department_code_system(institution_code: str) -> str:
    return f"urn:lianxin:institution:{institution_code}:department"


RECORD_NUMBER_PREFIX = "urn:lianxin:institution:"

# GB/T 2261.1 sex codes → FHIR administrative gender. "9 未说明的性别" (not stated) is a gender
# nobody told us, which FHIR calls "unknown"; "other" has no GB/T counterpart.
GENDER_BY_SEX: dict[str, str] = {"0": "unknown", "1": "male", "2": "female", "9": "unknown"}
SEXES_BY_GENDER: dict[str, tuple[str, ...]] = {
    "male": ("1",),
    "female": ("2",),
    "unknown": ("0", "9"),
    "other": (),
}
# workforce.Practitioner.sex stores M/F.
PRACTITIONER_GENDER: dict[str, str] = {"M": "male", "F": "female"}
PRACTITIONER_SEXES_BY_GENDER: dict[str, tuple[str, ...]] = {
    "male": ("M",),
    "female": ("F",),
    "unknown": ("",),
    "other": (),
}

# Institution tiers → organization-type: a health commission is a government body, every other
# tier a healthcare provider; a department is "dept".
ORGANIZATION_TYPE_BY_TIER: dict[str, str] = {"commission": "govt"}
ORGANIZATION_TYPE_DEFAULT = "prov"
ORGANIZATION_TYPE_DEPARTMENT = "dept"
ORGANIZATION_TYPE_DISPLAY = {
    "prov": "Healthcare Provider",
    "govt": "Government",
    "dept": "Hospital Department",
}

# PatientIdentifier.kind → v2-0203 identifier type.
IDENTIFIER_TYPE_BY_KIND: dict[str, tuple[str, str]] = {
    "mrn": ("MR", "Medical record number"),
    "health_card": ("HC", "Health Card Number"),
    "insurance": ("SN", "Subscriber Number"),
}
# "NNxxx": national person identifier, xxx the ISO 3166 country code.
RESIDENT_ID_TYPE = (
    "NNCHN",
    "National Person Identifier where the xxx is the ISO table 3166 3-character (alphabetic) "
    "country code",
)
LICENCE_TYPE = ("LN", "License number")

# workforce.Profession → practitioner-role codes (those that have one).
ROLE_CODE_BY_PROFESSION: dict[str, tuple[str, str]] = {
    "physician": ("doctor", "Doctor"),
    "nurse": ("nurse", "Nurse"),
    "pharmacist": ("pharmacist", "Pharmacist"),
}
