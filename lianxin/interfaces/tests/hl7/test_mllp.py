"""Laboratory results sent over TCP by python-hl7's MLLP client to the listener, as a laboratory
system would send them."""

from __future__ import annotations

import threading

import pytest
from hl7.client import MLLPClient

from lianxin.core.models import AuditEvent
from lianxin.core.workflow import Status
from lianxin.diagnostics.models import CriticalResult, Report, ResultValue
from lianxin.diagnostics.tests.helpers import order
from lianxin.interfaces.models import AnalyteMapping, Hl7Message
from lianxin.interfaces.tests.hl7.messages import ack_code, oru

pytestmark = pytest.mark.django_db(transaction=True)


def send(listener, *messages: str) -> list[tuple[str, str]]:
    with MLLPClient(listener.host, listener.port) as client:
        return [ack_code(client.send_message(m)) for m in messages]


def test_a_final_blood_count_in_each_supported_version_is_stored_signed_and_acknowledged_aa(
    personas, lab_system, listener
):
    orders = [order(personas, "CBC") for _ in range(5)]
    versions = ["2.3", "2.3.1", "2.4", "2.5", "2.5.1"]
    answers = send(
        listener,
        *[
            oru(f"M{n}", o.accession_number, version=v, filler=f"F{n}")
            for n, (o, v) in enumerate(zip(orders, versions, strict=True))
        ],
    )
    assert answers == [("AA", "")] * 5
    for n, item in enumerate(orders):
        item.refresh_from_db()
        assert item.status == Status.COMPLETED
        assert item.filler_order_number == f"F{n}"
        report = item.reports.get()
        assert report.is_signed and report.signed_by == lab_system.user
        assert report.findings["审核者"] == "王检验"
        assert {
            (v.analyte, format(v.value.normalize(), "f"), v.reference_range)
            for v in report.values.all()
        } == {
            ("WBC", "6.2", "3.5-9.5"),
            ("HGB", "138", "130-175"),
            ("PLT", "210", "125-350"),
        }
    assert Hl7Message.objects.filter(outcome="AA").count() == 5


def test_a_resent_message_is_acknowledged_again_and_not_stored_twice(
    personas, lab_system, listener
):
    item = order(personas, "CBC")
    message = oru("DUP-1", item.accession_number)
    assert send(listener, message, message) == [
        ("AA", ""),
        ("AA", "Duplicate of an accepted message: not stored again."),
    ]
    assert Report.objects.filter(order=item).count() == 1
    logged = Hl7Message.objects.get(control_id="DUP-1")
    assert logged.duplicates == 1


def test_preliminary_final_and_corrected_results_become_the_draft_then_two_signed_versions(
    personas, lab_system, listener
):
    item = order(personas, "ELEC")
    p = (("2823-3", "4.1", "mmol/L", "3.5-5.3", "N", "P"), ("2951-2", "140", "mmol/L", "", "", "P"))
    f = tuple((*o[:5], "F") for o in p)
    c = (("2823-3", "4.4", "mmol/L", "3.5-5.3", "N", "C"), ("2951-2", "140", "mmol/L", "", "", "C"))
    assert send(listener, oru("E1", item.accession_number, p))[0][0] == "AA"
    item.refresh_from_db()
    assert (item.status, item.business_status) == (Status.IN_PROGRESS, "preliminary")
    assert item.reports.get().status == "draft"
    assert send(
        listener, oru("E2", item.accession_number, f), oru("E3", item.accession_number, c)
    ) == [
        ("AA", ""),
        ("AA", ""),
    ]
    first, second = item.reports.order_by("version")
    assert first.is_signed and second.is_signed and second.amendment_reason
    assert str(second.values.get(analyte="K").value.normalize()) == "4.4"
    assert str(first.values.get(analyte="K").value.normalize()) == "4.1"
    # A preliminary result after the final one is an error, and changes nothing.
    code, text = send(listener, oru("E4", item.accession_number, p))[0]
    assert code == "AE" and "correction" in text
    assert item.reports.count() == 2


def test_a_critical_potassium_by_the_table_and_a_haemoglobin_flagged_ll_start_critical_results(
    personas, lab_system, listener
):
    elec, cbc = order(personas, "ELEC"), order(personas, "CBC")
    send(
        listener,
        oru("K1", elec.accession_number, (("2823-3", "6.9", "mmol/L", "3.5-5.3", "H", "F"),)),
        # 95 g/L is above the table's limit; the laboratory's panic flag decides.
        oru("H1", cbc.accession_number, (("718-7", "95", "g/L", "130-175", "LL", "F"),)),
    )
    found = {(r.analyte, r.value, r.unit, r.status) for r in CriticalResult.objects.all()}
    assert found == {
        ("K", "6.9", "mmol/L", Status.REQUESTED),
        ("HGB", "95", "g/L", Status.REQUESTED),
    }
    assert ResultValue.objects.get(analyte="K").flag == "C"
    elec.refresh_from_db()
    assert elec.has_critical


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        ({"placer": "LB0000000000"}, "AE", "Unknown order"),
        ({"system": "L", "code": "WBC-LOCAL"}, "AE", "Unmapped code WBC-LOCAL"),
        ({"unit": "mmol/L"}, "AE", "reported in 10^9/L, not mmol/L"),
        ({"value_type": "ST"}, "AE", "not numeric"),
        ({"value": "abc"}, "AE", "not a number"),
        ({"sender": ("LIS", "ELSEWHERE")}, "AR", "Unknown sender LIS^ELSEWHERE"),
        ({"message_type": "ADT^A01"}, "AR", "ADT^A01 is not supported"),
        ({"version": "2.6"}, "AR", "2.6 is not supported"),
    ],
)
def test_a_message_it_cannot_take_gets_ae_or_ar_with_the_reason_and_nothing_is_stored(
    personas, lab_system, listener, change, code, words
):
    item = order(personas, "CBC")
    obx = ["6690-2", "6.2", "10*9/L", "3.5-9.5", "N", "F"]
    if "code" in change:
        obx[0] = change["code"]
    if "unit" in change:
        obx[2] = change["unit"]
    if "value" in change:
        obx[1] = change["value"]
    kwargs = {
        k: v
        for k, v in change.items()
        if k in {"system", "value_type", "sender", "message_type", "version"}
    }
    message = oru("BAD-1", change.get("placer", item.accession_number), (tuple(obx),), **kwargs)
    answer, text = send(listener, message)[0]
    assert answer == code
    assert words in text
    assert not Report.objects.filter(order=item).exists()
    logged = Hl7Message.objects.get(control_id="BAD-1")
    assert (logged.outcome, logged.raw) == (code, message)
    assert words in logged.error


def test_malformed_messages_get_an_error_ack_and_the_connection_stays_usable(
    personas, lab_system, listener
):
    item = order(personas, "CBC")
    broken_segment = oru("BAD-2", item.accession_number).replace("OBR|1|", "OBR|x|")
    garbage = "this is not HL7 at all"
    with MLLPClient(listener.host, listener.port) as client:
        first = ack_code(client.send_message(broken_segment))
        second = ack_code(client.send_message(garbage))
        third = ack_code(client.send_message(oru("GOOD-1", item.accession_number)))
    assert first[0] == "AE" and "Malformed" in first[1]
    assert second[0] == "AR" and "MSH" in second[1]
    assert third == ("AA", "")
    assert Report.objects.filter(order=item).count() == 1


def test_four_laboratory_connections_at_once_all_get_aa_and_every_result_is_stored_once(
    personas, lab_system, listener
):
    orders = [order(personas, "GLU") for _ in range(8)]
    answers: dict[int, list] = {}

    def sender(n: int) -> None:
        mine = orders[n * 2 : n * 2 + 2]
        messages = [
            oru(f"C{n}-{k}", o.accession_number, (("2345-7", f"5.{k}", "mmol/L", "", "", "F"),))
            for k, o in enumerate(mine)
        ]
        # Each sender also repeats its first message, as after a lost ACK.
        answers[n] = send(listener, *messages, messages[0])

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(answers) == [0, 1, 2, 3]
    assert all([a[0] for a in got] == ["AA", "AA", "AA"] for got in answers.values())
    assert Report.objects.filter(order__in=orders, status="signed").count() == 8
    assert Hl7Message.objects.filter(outcome="AA").count() == 8


def test_a_local_code_mapped_by_the_administrator_is_understood_from_then_on(
    personas, lab_system, listener
):
    item = order(personas, "GLU")
    message = oru(
        "LOC-1", item.accession_number, (("GLU01", "5.5", "mmol/L", "", "", "F"),), system="L"
    )
    assert send(listener, message)[0][0] == "AE"
    AnalyteMapping.objects.create(peer=lab_system, coding_system="L", code="GLU01", analyte="GLU")
    assert send(listener, message.replace("LOC-1", "LOC-2"))[0] == ("AA", "")
    assert AuditEvent.objects.filter(action="diagnostics.report.sign").exists()
