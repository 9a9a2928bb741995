"""Inbound messages validated against their version's definitions (hl7apy's reference and data
types) on python-hl7's parse: each broken rule is named in the AE, nothing is stored, and a
message takes a bounded number of queries."""

from __future__ import annotations

import hl7
import pytest
from hl7.client import MLLPClient

from lianxin.diagnostics.models import Report
from lianxin.diagnostics.tests.helpers import order
from lianxin.interfaces.hl7.inbound import handle_text
from lianxin.interfaces.hl7.rules import SUPPORTED_VERSIONS
from lianxin.interfaces.hl7.validation import Invalid, check_message, message_structure
from lianxin.interfaces.models import Hl7Message
from lianxin.interfaces.tests.hl7.messages import ack_code, oru

OBR = "OBR|1|LB1||CBC^血常规^L|||20261203101500\r"


def check(text: str, version: str = "2.5.1") -> None:
    check_message(hl7.parse(text), version, "ORU_R01")


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_the_laboratory_sample_is_valid_in_every_supported_version(version):
    check(oru("V1", "LB1", version=version), version)


def test_site_defined_z_segments_are_allowed_anywhere_after_the_header():
    check(oru("V1", "LB1").replace(OBR, OBR + "ZLB|1|analyser 3\r") + "ZXX|1\r")


@pytest.mark.parametrize(
    ("broken", "words"),
    [
        (
            lambda m: m.replace(OBR, "") + OBR,
            "(MSH, PID, OBX, OBX, OBX, OBR) do not follow the ORU_R01 structure",
        ),
        (lambda m: m.replace("PID|", "PIX|"), "Segment PIX is not part of ORU_R01"),
        (lambda m: m.replace("OBR|1|", "OBR|x|"), "OBR-1 (set id obr): x is not a valid SI"),
        (
            lambda m: m.replace("|||20261203101500\r", "|||2026-12-03\r", 1),
            "OBR-7.1 (time): 2026-12-03 is not a valid DTM",
        ),
        (lambda m: m.replace("19600101", "1960-13-45"), "PID-7.1 (time): 1960-13-45"),
        (
            lambda m: m.replace("OBR|1|LB1||", "OBR|1|LB1|F1~F2|"),
            "OBR-3 (filler order number) repeats 2 times; at most 1",
        ),
        (
            lambda m: m.replace("CBC^血常规^L", "CBC^血常规^L^^^^x"),
            "OBR-4 (universal service identifier) has 7 parts; its type CE has 6",
        ),
        (
            lambda m: m.replace("|0042^王^检验\r", "|0042^王^检验" + "|" * 10 + "x\r", 1),
            "OBX has 26 fields; HL7 v2.5.1 defines 25",
        ),
        (
            lambda m: m.replace("|0042^王^检验\r", "|0042^王^检验||||x\r", 1),
            "OBX-20 (performing organization name) is withdrawn in HL7 v2.5.1",
        ),
        (
            lambda m: m.replace("|20261203101500||ORU", "|||ORU"),
            "MSH-7 (date time of message) is required",
        ),
        (lambda m: m.replace("3.5-9.5", "1" * 300), "OBX-7 (references range)"),
    ],
)
def test_each_broken_definition_is_named(broken, words):
    with pytest.raises(Invalid) as caught:
        check(broken(oru("V1", "LB1")))
    assert words in str(caught.value)


def test_the_processing_id_with_a_mode_is_within_its_type():
    # PT has two components (processing ID ^ processing mode): a second one is fine, a third not.
    check(oru("V1", "LB1").replace("|P|2.5.1", "|P^T|2.5.1"))
    with pytest.raises(Invalid, match=r"MSH-11 .* has 3 parts; its type PT has 2"):
        check(oru("V1", "LB1").replace("|P|2.5.1", "|P^T^x|2.5.1"))


def test_the_segment_order_is_checked_in_linear_time_on_a_long_broken_message():
    # Nested repeating groups (PATIENT_RESULT+ of ORDER_OBSERVATION+) must not backtrack.
    pattern, _names = message_structure("ORU_R01", "2.5.1")
    sequence = "MSH PID " + "OBR OBX " * 400 + "PID PV1 PV1 "
    assert pattern.fullmatch(sequence) is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("broken", "words"),
    [
        (lambda m: m.replace("OBR|1|", "OBR|x|"), "OBR-1 (set id obr): x is not a valid SI"),
        (lambda m: m.replace("PID|", "PIX|"), "Segment PIX is not part of ORU_R01"),
        (
            lambda m: m.replace("||CBC^", "|F1~F2|CBC^"),
            "OBR-3 (filler order number) repeats 2 times",
        ),
        (lambda m: m.replace("|||2026120", "|||2026-120", 1), "is not a valid DTM"),
    ],
)
def test_over_the_wire_a_message_breaking_its_definition_is_refused_ae_and_nothing_is_stored(
    personas, lab_system, listener, broken, words
):
    item = order(personas, "CBC")
    message = broken(oru("DEF-1", item.accession_number))
    with MLLPClient(listener.host, listener.port) as client:
        code, text = ack_code(client.send_message(message))
    assert code == "AE"
    assert text.startswith("Malformed message: ") and words in text
    assert not Report.objects.filter(order=item).exists()
    logged = Hl7Message.objects.get(control_id="DEF-1")
    assert (logged.outcome, logged.raw) == ("AE", message)
    assert words in logged.error


@pytest.mark.django_db
def test_one_blood_count_is_stored_in_a_bounded_number_of_queries(
    personas, lab_system, django_assert_max_num_queries
):
    warm, item = order(personas, "CBC"), order(personas, "CBC")
    assert handle_text(oru("Q0", warm.accession_number)).outcome == "AA"
    # Duplicate check, sender, mappings, the order, the report, its values, the order's step
    # with its history and audit rows, the care relationship, the sign audit row, the log row.
    with django_assert_max_num_queries(22):
        result = handle_text(oru("Q1", item.accession_number))
    assert result.outcome == "AA"
    assert item.reports.get().values.count() == 3
