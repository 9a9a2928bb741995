"""HL7 v2 over MLLP: laboratory results in (ORU^R01), orders out (ORM^O01 / OML^O21)."""
