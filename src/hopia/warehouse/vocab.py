"""Codes every stage agrees on: visit types, vital signs and common labs, in ``VOCAB/CODE`` form.

The synthetic hospital writes these codes, the clinical baselines (NEWS2, LACE) and the
built-in tasks read them; real data loaded from OMOP or FHIR uses the same LOINC codes.

Examples
--------
>>> VITALS["heart_rate"]
'LOINC/8867-4'
>>> VISIT_CONCEPTS[9203]
'ER'
"""

from __future__ import annotations

VISIT_CONCEPTS: dict[int, str] = {
    9201: "IP",  # Inpatient Visit
    9202: "OP",  # Outpatient Visit
    9203: "ER",  # Emergency Room Visit
    262: "ERIP",  # Emergency Room and Inpatient Visit
    8971: "IIP",  # Inpatient Intensive Care Facility (visit_detail)
    32037: "ICU",  # Intensive Care (visit_detail)
}
"""Standard OMOP visit concepts (vocabulary ``Visit``) → concept code."""

INPATIENT_VISIT_CODES = ("VISIT/IP", "VISIT/ERIP")
EMERGENCY_VISIT_CODES = ("VISIT/ER", "VISIT/ERIP")

VITALS: dict[str, str] = {
    "heart_rate": "LOINC/8867-4",  # /min
    "respiratory_rate": "LOINC/9279-1",  # /min
    "spo2": "LOINC/59408-5",  # % (pulse oximetry)
    "temperature": "LOINC/8310-5",  # Cel
    "systolic_bp": "LOINC/8480-6",  # mm[Hg]
    "diastolic_bp": "LOINC/8462-4",  # mm[Hg]
    "glasgow": "LOINC/9269-2",  # Glasgow coma score total (3-15)
    "avpu": "LOINC/67775-7",  # level of responsiveness; value 0 = Alert, 1 = new confusion/V/P/U
    "oxygen_flow": "LOINC/3151-8",  # L/min inhaled O2 flow (0 = room air)
}
"""Vital signs as ``LOINC/…`` codes (what NEWS2 needs)."""

LABS: dict[str, str] = {
    "creatinine": "LOINC/14682-9",  # umol/L (French labs report µmol/L)
    "haemoglobin": "LOINC/718-7",  # g/dL
    "wbc": "LOINC/6690-2",  # 10*9/L
    "platelets": "LOINC/777-3",  # 10*9/L
    "crp": "LOINC/1988-5",  # mg/L
    "lactate": "LOINC/2524-7",  # mmol/L
    "sodium": "LOINC/2951-2",  # mmol/L
    "potassium": "LOINC/2823-3",  # mmol/L
    "glucose": "LOINC/15074-8",  # mmol/L
    "hba1c": "LOINC/4548-4",  # %
    "troponin": "LOINC/89579-7",  # ng/L (high-sensitivity troponin I)
    "bnp": "LOINC/30934-4",  # pg/mL
}
"""Common laboratory tests as ``LOINC/…`` codes."""
