"""Every code the synthetic hospital writes, with its OMOP concept, and the reasons for coming.

A code is ``(vocabulary, code)``; its concept id is fixed by its place in :data:`CATALOGUE`
(local ids from 2,000,000,001) except the standard OMOP visit concepts. Generation code works
with *catalogue indices* (``int32`` arrays) and turns them into concept ids and source values
when the Arrow tables are built, so no per-row string work happens in Python.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from hopia.warehouse.vocab import LABS, VITALS

LOCAL_CONCEPT_BASE = 2_000_000_000


class Unit(NamedTuple):
    """A care unit of the CHRU (one ``care_site`` row)."""

    code: str
    name: str
    intensive: bool = False


UNITS: tuple[Unit, ...] = (
    Unit("URG", "Urgences adultes et pédiatriques"),
    Unit("UHCD", "Unité d'hospitalisation de courte durée"),
    Unit("CARDIO", "Cardiologie"),
    Unit("USIC", "Unité de soins intensifs cardiologiques", True),
    Unit("PNEUMO", "Pneumologie"),
    Unit("MED_INT", "Médecine interne"),
    Unit("GERIA", "Gériatrie aiguë"),
    Unit("NEURO", "Neurologie"),
    Unit("UNV", "Unité neurovasculaire", True),
    Unit("REA", "Réanimation médicale", True),
    Unit("CHIR_VISC", "Chirurgie viscérale et digestive"),
    Unit("CHIR_ORTHO", "Chirurgie orthopédique et traumatologique"),
    Unit("MATER", "Maternité"),
    Unit("PEDIA", "Pédiatrie"),
    Unit("ONCO", "Oncologie"),
    Unit("SSR", "Soins de suite et de réadaptation"),
    Unit("RADIO", "Imagerie médicale — sénologie"),
)
UNIT_INDEX = {u.code: i for i, u in enumerate(UNITS)}
UNIT_INTENSIVE = np.array([u.intensive for u in UNITS])


def unit_id(code: str) -> int:
    """The ``care_site_id`` of a unit (1-based position in :data:`UNITS`)."""
    return UNIT_INDEX[code] + 1


# The four vital-sign / lab units, LOINC code → (key, UCUM unit)
VITAL_UNITS = {
    "heart_rate": "/min", "respiratory_rate": "/min", "spo2": "%", "temperature": "Cel",
    "systolic_bp": "mm[Hg]", "diastolic_bp": "mm[Hg]", "glasgow": "{score}", "avpu": "{score}",
    "oxygen_flow": "L/min",
}  # fmt: skip
LAB_UNITS = {
    "creatinine": "umol/L", "haemoglobin": "g/dL", "wbc": "10*9/L", "platelets": "10*9/L",
    "crp": "mg/L", "lactate": "mmol/L", "sodium": "mmol/L", "potassium": "mmol/L",
    "glucose": "mmol/L", "hba1c": "%", "troponin": "ng/L", "bnp": "pg/mL",
}  # fmt: skip

MOTIFS = {
    "FIEVRE": "Fièvre", "TOUX": "Toux", "DIARRHEE": "Diarrhée", "VOMISSEMENTS": "Vomissements",
    "DYSPNEE": "Dyspnée", "DOULEUR_THORACIQUE": "Douleur thoracique",
    "DOULEUR_ABDO": "Douleur abdominale", "TRAUMATISME": "Traumatisme d'un membre",
    "CHUTE": "Chute", "MALAISE": "Malaise", "CEPHALEE": "Céphalée",
    "DEFICIT_NEURO": "Déficit neurologique", "CONFUSION": "Confusion", "PLAIE": "Plaie",
    "LOMBALGIE": "Lombalgie", "PALPITATIONS": "Palpitations", "CONVULSIONS": "Convulsions",
}  # fmt: skip
"""ED chief complaints (vocabulary ``MOTIF``)."""


class Reason(NamedTuple):
    """Why a person comes: ED reason, elective admission, with what follows from it."""

    key: str
    icd10: str
    label: str
    motif: str
    unit: str  # admission unit (adults; children go to PEDIA)
    p_admit: float  # admission probability from the ED (before age and triage effects)
    los: float  # median acute length of stay in days
    mort: float  # log-odds shift of in-hospital death
    severity: float  # mean acute severity at presentation
    infect: bool
    icu: str = "REA"  # unit on deterioration; "" = none
    starts_in: str = ""  # intensive unit where the stay starts (USIC for MI, UNV for stroke)
    weights: tuple[float, float, float, float, float] = (
        0,
        0,
        0,
        0,
        0,
    )  # ED: <2,2-14,15-64,65-79,80+
    motif2: str = ""
    drugs: tuple[str, ...] = ()
    procedures: tuple[str, ...] = ()


REASONS: tuple[Reason, ...] = (
    Reason("entorse", "S93.4", "entorse de la cheville", "TRAUMATISME", "CHIR_ORTHO", 0.01, 2, 0, -1.0, False, "", weights=(0, 8, 10, 3, 1), drugs=("N02BE01",)),
    Reason("plaie", "S61.9", "plaie de la main", "PLAIE", "CHIR_ORTHO", 0.02, 2, 0, -1.0, False, "", weights=(1, 6, 9, 3, 2), drugs=("N02BE01",)),
    Reason("fracture_poignet", "S52.5", "fracture de l'extrémité inférieure du radius", "TRAUMATISME", "CHIR_ORTHO", 0.15, 2, 0, -0.8, False, "", weights=(0, 4, 3, 4, 4), drugs=("N02BE01",), procedures=("MZMP002",)),
    Reason("douleur_abdo", "R10.4", "douleur abdominale", "DOULEUR_ABDO", "MED_INT", 0.12, 3, 0, -0.5, False, weights=(2, 6, 8, 5, 4), drugs=("N02BE01",)),
    Reason("cephalee", "R51", "céphalée", "CEPHALEE", "NEURO", 0.08, 3, 0, -0.8, False, weights=(0, 2, 5, 2, 1), drugs=("N02BE01",)),
    Reason("lombalgie", "M54.5", "lombalgie", "LOMBALGIE", "MED_INT", 0.05, 3, 0, -1.0, False, "", weights=(0, 0, 6, 3, 2), drugs=("N02BE01",)),
    Reason("rhinopharyngite", "J00", "rhinopharyngite", "FIEVRE", "PEDIA", 0.02, 2, 0, -1.2, True, "", weights=(12, 8, 2, 0.5, 0.3), motif2="TOUX", drugs=("N02BE01",)),
    Reason("otite", "H66.9", "otite moyenne aiguë", "FIEVRE", "PEDIA", 0.01, 2, 0, -1.2, True, "", weights=(6, 5, 0.5, 0, 0), drugs=("J01CR02",)),
    Reason("douleur_thoracique", "R07.4", "douleur thoracique", "DOULEUR_THORACIQUE", "CARDIO", 0.2, 2, 0, -0.4, False, weights=(0, 0.5, 5, 4, 3), procedures=("DEQP003",)),
    Reason("malaise", "R55", "malaise", "MALAISE", "MED_INT", 0.25, 3, 0, -0.3, False, weights=(0.5, 1, 4, 5, 6), procedures=("DEQP003",)),
    Reason("infection_urinaire", "N39.0", "infection urinaire", "FIEVRE", "MED_INT", 0.25, 4, 0, -0.2, True, weights=(1, 1, 3, 4, 6), drugs=("J01DD04",)),
    Reason("chute", "R29.6", "chute à répétition", "CHUTE", "GERIA", 0.35, 6, 0, -0.2, False, weights=(0, 0, 0.5, 4, 10), procedures=("ACQK001",)),
    Reason("confusion", "R41.0", "syndrome confusionnel", "CONFUSION", "GERIA", 0.55, 7, 0.3, 0.2, False, weights=(0, 0, 0.3, 2, 6), procedures=("ACQK001",)),
    Reason("gastro", "A09", "gastro-entérite aiguë", "DIARRHEE", "MED_INT", 0.05, 3, 0, -0.6, True, "", weights=(6, 4, 3, 2, 2), motif2="VOMISSEMENTS", drugs=("A04AA01",)),
    Reason("asthme", "J45.9", "crise d'asthme", "DYSPNEE", "PNEUMO", 0.15, 3, 0, -0.3, False, weights=(0, 3, 2, 0.5, 0.2), drugs=("R03AC02", "H02AB06")),
    Reason("grippe", "J11.1", "syndrome grippal", "FIEVRE", "MED_INT", 0.12, 4, 0.2, -0.2, True, weights=(1, 2, 1, 1, 1), motif2="TOUX", drugs=("J05AH02",)),
    Reason("bronchiolite", "J21.9", "bronchiolite aiguë", "DYSPNEE", "PEDIA", 0.3, 3, -1.0, 0.0, True, "", weights=(6, 0, 0, 0, 0), motif2="TOUX"),
    Reason("covid", "U07.1", "COVID-19", "TOUX", "PNEUMO", 0.3, 6, 0.5, 0.2, True, motif2="DYSPNEE", drugs=("H02AB02",), procedures=("ZBQK002",)),
    Reason("coup_de_chaleur", "T67.0", "coup de chaleur", "MALAISE", "GERIA", 0.45, 4, 0.5, 0.3, False),
    Reason("deshydratation", "E86", "déshydratation", "MALAISE", "GERIA", 0.5, 5, 0.2, 0.0, False, weights=(0.5, 0.2, 0.2, 0.5, 2)),
    Reason("insuffisance_cardiaque", "I50.9", "décompensation cardiaque", "DYSPNEE", "CARDIO", 0.85, 7, 0.4, 0.3, False, "USIC", weights=(0, 0, 0.3, 3, 5), drugs=("C03CA01",), procedures=("DEQP003", "ZBQK002")),
    Reason("infarctus", "I21.4", "infarctus du myocarde sans sus-décalage du segment ST", "DOULEUR_THORACIQUE", "CARDIO", 0.97, 5, 0.3, 0.3, False, "USIC", "USIC", weights=(0, 0, 1, 1.5, 1), drugs=("B01AC06", "B01AC24", "C10AA05"), procedures=("DEQP003", "DDQH009", "DDAF008")),
    Reason("pneumopathie", "J18.9", "pneumopathie infectieuse", "TOUX", "PNEUMO", 0.7, 6, 0.5, 0.3, True, weights=(1, 1, 1.5, 3, 5), motif2="FIEVRE", drugs=("J01CR02",), procedures=("ZBQK002",)),
    Reason("bpco", "J44.1", "exacerbation de BPCO", "DYSPNEE", "PNEUMO", 0.7, 6, 0.3, 0.2, False, weights=(0, 0, 0.8, 2, 2), drugs=("R03AC02", "H02AB06"), procedures=("ZBQK002",)),
    Reason("avc", "I63.9", "accident vasculaire cérébral ischémique", "DEFICIT_NEURO", "NEURO", 0.95, 8, 0.6, 0.4, False, "REA", "UNV", weights=(0, 0, 0.8, 2, 3), drugs=("B01AC06", "C10AA05"), procedures=("ACQK001",)),
    Reason("fracture_col", "S72.0", "fracture du col du fémur", "CHUTE", "CHIR_ORTHO", 0.97, 8, 0.2, 0.1, False, weights=(0, 0, 0.3, 1.5, 4), drugs=("N02AA01",), procedures=("NBCA006",)),
    Reason("appendicite", "K35.8", "appendicite aiguë", "DOULEUR_ABDO", "CHIR_VISC", 0.95, 3, -1.0, -0.3, True, weights=(0, 2, 2, 0.3, 0.1), drugs=("J01CR02", "N02AA01"), procedures=("HHFA016",)),
    Reason("sepsis", "A41.9", "sepsis", "FIEVRE", "MED_INT", 0.95, 8, 1.2, 1.0, True, weights=(0, 0, 0.3, 1, 2), drugs=("J01DD04", "J01GB03")),
    Reason("hemorragie_digestive", "K92.2", "hémorragie digestive", "VOMISSEMENTS", "MED_INT", 0.85, 6, 0.6, 0.5, False, weights=(0, 0, 0.3, 1, 1.5), drugs=("A02BC01",), procedures=("HEQE002", "FELF011")),
    Reason("insuffisance_renale", "N17.9", "insuffisance rénale aiguë", "MALAISE", "MED_INT", 0.75, 7, 0.4, 0.3, False, weights=(0, 0, 0.2, 1, 2)),
    Reason("pyelonephrite", "N10", "pyélonéphrite aiguë", "FIEVRE", "MED_INT", 0.5, 4, 0, -0.1, True, weights=(0, 0.3, 1.5, 0.8, 0.8), drugs=("J01DD04",)),
    Reason("occlusion", "K56.6", "occlusion intestinale", "DOULEUR_ABDO", "CHIR_VISC", 0.85, 7, 0.3, 0.2, False, weights=(0, 0, 0.5, 1, 1.5), motif2="VOMISSEMENTS", procedures=("ZCQK002",)),
    Reason("fibrillation", "I48.9", "fibrillation atriale", "PALPITATIONS", "CARDIO", 0.45, 4, 0, -0.2, False, "USIC", weights=(0, 0, 1, 1.5, 1.5), drugs=("B01AF02", "C07AB07"), procedures=("DEQP003",)),
    Reason("epilepsie", "G40.9", "crise d'épilepsie", "CONVULSIONS", "NEURO", 0.4, 3, 0, -0.2, False, weights=(0.2, 0.8, 1, 0.5, 0.3), drugs=("N03AX14",)),
    Reason("cholecystite", "K81.0", "cholécystite aiguë", "DOULEUR_ABDO", "CHIR_VISC", 0.8, 5, 0, 0.0, True, weights=(0, 0, 0.8, 1, 0.8), drugs=("J01CR02",), procedures=("HMFC004",)),
    # elective admissions (never through the ED: weights stay at zero)
    Reason("cholecystectomie", "K80.2", "lithiase vésiculaire", "", "CHIR_VISC", 0, 2, -1.5, -1.2, False, drugs=("N02BE01",), procedures=("HMFC004",)),
    Reason("colectomie", "C18.9", "adénocarcinome du côlon", "", "CHIR_VISC", 0, 8, 0, -0.6, False, drugs=("N02AA01",), procedures=("HHFA009",)),
    Reason("prothese_hanche", "M16.9", "coxarthrose", "", "CHIR_ORTHO", 0, 5, -1.0, -1.0, False, drugs=("N02BE01",), procedures=("NEKA020",)),
    Reason("prothese_genou", "M17.9", "gonarthrose", "", "CHIR_ORTHO", 0, 5, -1.0, -1.0, False, drugs=("N02BE01",), procedures=("NFKA008",)),
    Reason("chimio_poumon", "C34.9", "cancer bronchique", "", "ONCO", 0, 4, 0.8, -0.3, False, drugs=("L01XA01", "L01BA04")),
    Reason("accouchement", "O80", "accouchement unique et spontané", "", "MATER", 0, 4, -3.0, -1.5, False, "", procedures=("JQGD010",)),
    Reason("cesarienne", "O82", "accouchement par césarienne", "", "MATER", 0, 5, -3.0, -1.2, False, "", procedures=("JQGA002",)),
    Reason("coronarographie", "I25.1", "cardiopathie ischémique", "", "CARDIO", 0, 2, -1.0, -1.0, False, "USIC", procedures=("DDQH009",)),
    Reason("cancer_sein", "C50.9", "cancer du sein", "", "CHIR_VISC", 0, 3, -1.5, -1.2, False, "", procedures=("QEFA003",)),
)  # fmt: skip
REASON_INDEX = {r.key: i for i, r in enumerate(REASONS)}
ED_REASONS = np.array([i for i, r in enumerate(REASONS) if any(r.weights)])

SYNDROMES: dict[str, tuple[tuple[str, float], ...]] = {
    "ili": (("grippe", 0.85), ("pneumopathie", 0.15)),
    "bronchiolitis": (("bronchiolite", 1.0),),
    "covid": (("covid", 1.0),),
    "gastroenteritis": (("gastro", 1.0),),
    "heat": (("coup_de_chaleur", 0.5), ("deshydratation", 0.5)),
    "asthma": (("asthme", 1.0),),
}
"""Epidemic syndromes → the ED reasons their excess cases present with."""

COMORBIDITIES: dict[str, tuple[str, str]] = {
    "heart_failure": ("I50.9", "insuffisance cardiaque chronique"),
    "copd": ("J44.9", "bronchopneumopathie chronique obstructive"),
    "ckd": ("N18.3", "maladie rénale chronique stade 3"),
    "diabetes": ("E11.9", "diabète de type 2"),
    "hypertension": ("I10", "hypertension artérielle"),
    "atrial_fibrillation": ("I48.9", "fibrillation atriale"),
    "dementia": ("F03", "démence"),
    "cancer": ("C34.9", "cancer bronchique"),
    "anaemia": ("D64.9", "anémie"),
}
"""Chronic conditions (latent per person, recorded as associated diagnoses)."""

CHRONIC_DRUGS: dict[str, tuple[str, ...]] = {
    "heart_failure": ("C03CA01", "C07AB07"),
    "copd": ("R03BB04",),
    "ckd": (),
    "diabetes": ("A10BA02", "A10AE04"),
    "hypertension": ("C09AA05", "C08CA01"),
    "atrial_fibrillation": ("B01AF02",),
    "dementia": ("N06DA02",),
    "cancer": (),
    "anaemia": ("B03AA07",),
}

OTHER_ICD10 = {
    "G10": "chorée de Huntington", "Z82.0": "antécédent familial de maladie neurologique",
    "Z12.3": "examen de dépistage du cancer du sein", "D24": "tumeur bénigne du sein",
    "Z51.1": "séance de chimiothérapie", "J96.0": "insuffisance respiratoire aiguë",
    "R57.2": "choc septique",
}  # fmt: skip

DRUGS = {
    "N02BE01": "paracétamol", "N02AA01": "morphine", "J01CR02": "amoxicilline et acide clavulanique",
    "J01DD04": "ceftriaxone", "J01GB03": "gentamicine", "J05AH02": "oséltamivir",
    "H02AB02": "dexaméthasone", "H02AB06": "prednisolone", "C03CA01": "furosémide",
    "B01AC06": "acide acétylsalicylique", "B01AC24": "ticagrélor", "C10AA05": "atorvastatine",
    "R03AC02": "salbutamol", "R03BB04": "tiotropium", "B01AF02": "apixaban",
    "C07AB07": "bisoprolol", "N03AX14": "lévétiracétam", "A02BC01": "oméprazole",
    "A04AA01": "ondansétron", "L01XA01": "cisplatine", "L01BA04": "pémétrexed",
    "L01CD01": "paclitaxel", "L02BG04": "létrozole", "A10BA02": "metformine",
    "A10AE04": "insuline glargine", "C09AA05": "ramipril", "C08CA01": "amlodipine",
    "N06DA02": "donépézil", "B03AA07": "sulfate ferreux", "B01AB05": "énoxaparine",
    "N05AX12": "tétrabénazine",
}  # fmt: skip
"""ATC codes (level 5) with their French INN."""

PROCEDURES = {
    "DEQP003": "Électrocardiographie sur au moins 12 dérivations",
    "ZBQK002": "Radiographie du thorax", "ACQK001": "Scanographie du crâne",
    "ZCQK002": "Scanographie de l'abdomen et du pelvis", "DDQH009": "Coronarographie",
    "DDAF008": "Angioplastie coronaire avec pose d'endoprothèse",
    "HHFA016": "Appendicectomie par cœlioscopie", "HMFC004": "Cholécystectomie par cœlioscopie",
    "HHFA009": "Colectomie par laparotomie", "NEKA020": "Prothèse totale de hanche",
    "NFKA008": "Prothèse totale du genou", "NBCA006": "Ostéosynthèse du col du fémur",
    "MZMP002": "Réduction orthopédique et immobilisation du poignet",
    "JQGD010": "Accouchement par voie naturelle", "JQGA002": "Césarienne",
    "GELD004": "Intubation trachéale", "GLLD015": "Ventilation mécanique invasive",
    "HEQE002": "Endoscopie œso-gastro-duodénale", "FELF011": "Transfusion de concentrés de globules rouges",
    "QEQK004": "Mammographie bilatérale de dépistage", "QEQJ001": "Échographie mammaire",
    "QEHB001": "Biopsie mammaire guidée par imagerie", "QEFA003": "Tumorectomie mammaire",
    "ZZNL050": "Séance de radiothérapie",
}  # fmt: skip
"""CCAM-style procedure codes (seven characters: four letters, three digits)."""

OBSERVATION_CODES: tuple[tuple[str, str, str], ...] = (
    *((("TRIAGE", str(level), f"Niveau de tri {level}")) for level in range(1, 6)),
    ("ED_STEP", "ARRIVEE", "Arrivée aux urgences"),
    ("ED_STEP", "TRIAGE", "Tri par l'infirmier organisateur de l'accueil"),
    ("ED_STEP", "DECISION", "Décision médicale"),
    ("ED_STEP", "SORTIE", "Sortie des urgences"),
    *((("ACR", str(level), f"Classification ACR {level}")) for level in range(6)),
    ("DEPISTAGE", "INVITATION", "Invitation au dépistage organisé du cancer du sein"),
    ("DEPISTAGE", "RAPPEL", "Rappel pour bilan complémentaire après mammographie"),
)
"""Observation codes: triage level, ED steps, ACR category, screening letters."""

COHORT_MEASUREMENTS = {
    ("CAG", "REPEATS"): ("Nombre de répétitions CAG (gène HTT)", "{repeats}"),
    ("UHDRS", "TMS"): ("UHDRS score moteur total", "{score}"),
    ("UHDRS", "TFC"): ("UHDRS capacité fonctionnelle totale", "{score}"),
}

LOCAL_VISITS = {"DH": "Hôpital de jour", "SSR": "Séjour de soins de suite et de réadaptation"}
STANDARD_VISITS = {
    9201: ("IP", "Inpatient Visit"), 9202: ("OP", "Outpatient Visit"),
    9203: ("ER", "Emergency Room Visit"), 32037: ("ICU", "Intensive Care"),
}  # fmt: skip


class Concept(NamedTuple):
    concept_id: int
    vocabulary: str
    code: str
    name: str
    domain: str


def _build() -> tuple[Concept, ...]:
    rows: list[tuple[str, str, str, str]] = []
    rows += [("ICD10", r.icd10, r.label, "Condition") for r in REASONS]
    rows += [("ICD10", code, name, "Condition") for code, name in COMORBIDITIES.values()]
    rows += [("ICD10", code, name, "Condition") for code, name in OTHER_ICD10.items()]
    rows += [("ATC", code, name, "Drug") for code, name in DRUGS.items()]
    rows += [("CCAM", code, name, "Procedure") for code, name in PROCEDURES.items()]
    rows += [("LOINC", code.split("/")[1], key, "Measurement") for key, code in VITALS.items()]
    rows += [("LOINC", code.split("/")[1], key, "Measurement") for key, code in LABS.items()]
    rows += [(v, c, name, "Measurement") for (v, c), (name, _) in COHORT_MEASUREMENTS.items()]
    rows += [("MOTIF", code, name, "Observation") for code, name in MOTIFS.items()]
    rows += [(v, c, name, "Observation") for v, c, name in OBSERVATION_CODES]
    units = [
        *VITAL_UNITS.values(),
        *LAB_UNITS.values(),
        *(u for _, u in COHORT_MEASUREMENTS.values()),
    ]
    rows += [("UCUM", u, u, "Unit") for u in dict.fromkeys(units)]
    rows += [("Visit", code, name, "Visit") for code, name in LOCAL_VISITS.items()]
    seen: dict[tuple[str, str], Concept] = {}
    for concept_id, (code, name) in STANDARD_VISITS.items():
        seen[("Visit", code)] = Concept(concept_id, "Visit", code, name, "Visit")
    for vocabulary, code, name, domain in rows:
        if (vocabulary, code) not in seen:
            local_id = LOCAL_CONCEPT_BASE + 1 + len(seen) - len(STANDARD_VISITS)
            seen[(vocabulary, code)] = Concept(local_id, vocabulary, code, name, domain)
    return tuple(seen.values())


CATALOGUE: tuple[Concept, ...] = _build()
"""Every concept the synthetic hospital uses (the ``concept`` table)."""
_INDEX = {(c.vocabulary, c.code): i for i, c in enumerate(CATALOGUE)}
CONCEPT_IDS = np.array([c.concept_id for c in CATALOGUE], dtype=np.int64)
SOURCE_VALUES = [c.code for c in CATALOGUE]


def code_index(vocabulary: str, code: str) -> int:
    """Position of a code in :data:`CATALOGUE` (what generation arrays hold)."""
    return _INDEX[(vocabulary, code)]


def concept_id(vocabulary: str, code: str) -> int:
    """The concept id of a code."""
    return CATALOGUE[_INDEX[(vocabulary, code)]].concept_id


def code_indices(vocabulary: str, codes: tuple[str, ...] | list[str]) -> np.ndarray:
    """Positions of several codes (``int32``)."""
    return np.array([_INDEX[(vocabulary, c)] for c in codes], dtype=np.int32)
