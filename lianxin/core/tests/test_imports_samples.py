"""The sample files that the documentation points to import without a single error."""

from __future__ import annotations

from pathlib import Path

import pytest

from lianxin.core.imports import run_import
from lianxin.network.imports import InstitutionImporter
from lianxin.network.models import Institution
from lianxin.patients.imports import ResidentImporter
from lianxin.patients.models import Patient
from lianxin.testing.factories import UserFactory
from lianxin.workforce.imports import PractitionerImporter
from lianxin.workforce.models import Practitioner

SAMPLES = Path(__file__).resolve().parents[3] / "docs" / "samples"


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_the_sample_files_import_cleanly_in_order(db, suffix):
    root = UserFactory(username="root", is_superuser=True)

    def load(importer, name):
        path = SAMPLES / f"{name}.{suffix}"
        return run_import(importer, path.read_bytes(), filename=path.name)

    first = load(InstitutionImporter(actor=root), "institutions")
    second = load(PractitionerImporter(actor=root), "practitioners")
    township = Institution.objects.get(code="SAMPLE-T001")
    third = load(ResidentImporter(actor=root, institution=township), "residents")

    for report in (first, second, third):
        assert report.exit_code == 0, (report.file_errors, report.errors())
    assert Institution.objects.get(code="SAMPLE-V001").parent == township
    assert Practitioner.objects.filter(institution__code__startswith="SAMPLE-").count() == 4
    assert Patient.objects.filter(identifiers__institution=township).count() == 3
