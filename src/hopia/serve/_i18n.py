"""The pages' message catalogue, in English and French.

The language comes from ``?lang=fr|en`` (remembered in a cookie), else the ``hopia_lang``
cookie, else the browser's ``Accept-Language``, else English.

Examples
--------
>>> translator("fr")("models")
'Modèles'
>>> pick_language(None, None, "fr-FR,fr;q=0.9,en;q=0.5")
'fr'
"""

from __future__ import annotations

from collections.abc import Callable

LANGUAGES = ("en", "fr")

MESSAGES: dict[str, tuple[str, str]] = {
    # key: (English, French)
    "app_title": ("hopia — clinical AI workbench", "hopia — atelier d'IA clinique"),
    "skip": ("Skip to content", "Aller au contenu"),
    "overview": ("Overview", "Vue d'ensemble"),
    "models": ("Models", "Modèles"),
    "patients": ("Patients", "Patients"),
    "tasks": ("Tasks", "Tâches"),
    "login": ("Sign in", "Se connecter"),
    "logout": ("Sign out", "Se déconnecter"),
    "username": ("Username", "Identifiant"),
    "password": ("Password", "Mot de passe"),
    "bad_login": (
        "Unknown username or wrong password.",
        "Identifiant inconnu ou mot de passe erroné.",
    ),
    "bad_form": (
        "The form expired; please try again.",
        "Le formulaire a expiré ; veuillez réessayer.",
    ),
    "signed_in_as": ("Signed in as", "Connecté en tant que"),
    "role": ("Role", "Rôle"),
    "role_admin": ("administrator", "administrateur"),
    "role_data_scientist": ("data scientist", "data scientist"),
    "role_clinician": ("clinician", "clinicien"),
    "role_viewer": ("viewer", "lecteur"),
    "language": ("Language", "Langue"),
    "warehouse": ("Warehouse", "Entrepôt"),
    "no_warehouse": ("No warehouse is loaded yet.", "Aucun entrepôt n'est encore chargé."),
    "persons": ("Persons", "Personnes"),
    "table": ("Table", "Table"),
    "rows": ("Rows", "Lignes"),
    "span": ("Period", "Période"),
    "snapshot": ("Data snapshot", "Instantané des données"),
    "engine": ("Engine", "Moteur"),
    "quality": ("Data quality", "Qualité des données"),
    "check": ("Check", "Contrôle"),
    "status": ("Status", "Statut"),
    "passed": ("passed", "réussi"),
    "failed": ("failed", "échoué"),
    "warning": ("warning", "avertissement"),
    "no_quality": (
        "Data-quality checks are not available.",
        "Les contrôles qualité ne sont pas disponibles.",
    ),
    "task": ("Task", "Tâche"),
    "version": ("Version", "Version"),
    "created": ("Created", "Créé le"),
    "metrics": ("Metrics", "Indicateurs"),
    "card": ("Model card", "Fiche du modèle"),
    "report": ("Full report", "Rapport complet"),
    "no_models": ("No model is registered yet.", "Aucun modèle n'est encore enregistré."),
    "no_tasks": ("No task is available.", "Aucune tâche n'est disponible."),
    "open_patient": ("Open a patient", "Ouvrir un dossier patient"),
    "person_id": ("Person identifier", "Identifiant de la personne"),
    "open": ("Open", "Ouvrir"),
    "patient": ("Patient", "Patient"),
    "sex": ("Sex", "Sexe"),
    "year_of_birth": ("Year of birth", "Année de naissance"),
    "death": ("Death", "Décès"),
    "stays": ("Stays", "Séjours"),
    "stay": ("Stay", "Séjour"),
    "start": ("Start", "Début"),
    "end": ("End", "Fin"),
    "kind": ("Kind", "Type"),
    "units": ("Care units", "Unités de soins"),
    "unit": ("Unit", "Unité"),
    "labs_vitals": ("Key labs and vital signs", "Examens biologiques et constantes"),
    "no_measurements": ("No measurement during this stay.", "Aucune mesure pendant ce séjour."),
    "diagnoses": ("Diagnoses", "Diagnostics"),
    "risks": ("Risks", "Risques"),
    "risk": ("Risk", "Risque"),
    "at": ("at", "au"),
    "factors": ("Main contributing factors", "Principaux facteurs"),
    "not_applicable": ("not applicable to this patient", "non applicable à ce patient"),
    "no_risk_models": ("No model applies yet.", "Aucun modèle ne s'applique pour l'instant."),
    "raises": ("raises the risk", "augmente le risque"),
    "lowers": ("lowers the risk", "diminue le risque"),
    "unknown_person": ("No person with this identifier.", "Aucune personne avec cet identifiant."),
    "forbidden": (
        "Your role does not give access to patient-level data.",
        "Votre rôle ne donne pas accès aux données individuelles.",
    ),
    "not_found": ("Page not found.", "Page introuvable."),
    "busy": (
        "The service is busy. Please try again in a moment.",
        "Le service est très sollicité. Réessayez dans un instant.",
    ),
    "attrition": ("Attrition", "Attrition"),
    "step": ("Step", "Étape"),
    "kept": ("Kept", "Conservés"),
    "removed": ("Removed", "Exclus"),
    "masked_note": (
        "Counts below {n} are masked (“<{n}”); “•” marks a count masked so that a small one "
        "cannot be recomputed.",
        "Les effectifs inférieurs à {n} sont masqués (« <{n} ») ; « • » signale un effectif "
        "masqué pour qu'un petit effectif ne puisse pas être recalculé.",
    ),
    "audit_note": (
        "Every opening of a patient record is recorded in the audit trail.",
        "Chaque consultation d'un dossier patient est tracée dans le journal d'audit.",
    ),
    "chart_label": ("Chart of {name} over the stay", "Courbe de {name} pendant le séjour"),
    "timeline_label": ("Timeline of stays and care units", "Chronologie des séjours et des unités"),
    "f_age": ("Age: {v} years", "Âge : {v} ans"),
    "f_sex": ("Sex: {v}", "Sexe : {v}"),
    "sex_F": ("female", "féminin"),
    "sex_M": ("male", "masculin"),
    "f_unit_in": ("Currently in care unit {v}", "Actuellement en unité {v}"),
    "f_unit_not": ("Not in care unit {v}", "Pas en unité {v}"),
    "f_hours_adm": ("{v} hours since admission", "{v} heures depuis l'admission"),
    "f_count": ("{name}: recorded {v} time(s) {window}", "{name} : {v} fois {window}"),
    "f_count_none": ("{name}: not recorded {window}", "{name} : absent {window}"),
    "f_last": (
        "{name}: last value {v}{unit} {window}",
        "{name} : dernière valeur {v}{unit} {window}",
    ),
    "f_mean": ("{name}: mean {v}{unit} {window}", "{name} : moyenne {v}{unit} {window}"),
    "f_min": ("{name}: lowest {v}{unit} {window}", "{name} : minimum {v}{unit} {window}"),
    "f_max": ("{name}: highest {v}{unit} {window}", "{name} : maximum {v}{unit} {window}"),
    "f_slope": (
        "{name}: trend {v}{unit} per hour {window}",
        "{name} : tendance {v}{unit} par heure {window}",
    ),
    "f_since": (
        "{name}: last seen {v} hours before",
        "{name} : vu pour la dernière fois {v} heures avant",
    ),
    "f_absent": ("{name}: no value {window}", "{name} : aucune valeur {window}"),
    "w_all": ("in the whole history", "dans tout l'historique"),
    "w_last": ("in the last {v}", "sur les dernières {v}"),
    "heart_rate": ("Heart rate", "Fréquence cardiaque"),
    "respiratory_rate": ("Respiratory rate", "Fréquence respiratoire"),
    "spo2": ("SpO₂", "SpO₂"),
    "temperature": ("Temperature", "Température"),
    "systolic_bp": ("Systolic blood pressure", "Pression artérielle systolique"),
    "diastolic_bp": ("Diastolic blood pressure", "Pression artérielle diastolique"),
    "glasgow": ("Glasgow coma scale", "Score de Glasgow"),
    "avpu": ("Consciousness (AVPU)", "Conscience (AVPU)"),
    "oxygen_flow": ("Oxygen flow", "Débit d'oxygène"),
    "creatinine": ("Creatinine", "Créatinine"),
    "haemoglobin": ("Haemoglobin", "Hémoglobine"),
    "wbc": ("White cells", "Leucocytes"),
    "platelets": ("Platelets", "Plaquettes"),
    "crp": ("C-reactive protein", "Protéine C-réactive"),
    "lactate": ("Lactate", "Lactates"),
    "sodium": ("Sodium", "Sodium"),
    "potassium": ("Potassium", "Potassium"),
    "glucose": ("Glucose", "Glycémie"),
    "hba1c": ("HbA1c", "HbA1c"),
    "troponin": ("Troponin", "Troponine"),
    "bnp": ("BNP", "BNP"),
}


def translator(lang: str) -> Callable[..., str]:
    """A function ``t(key, **values)`` giving the message in ``lang`` (the key if unknown)."""
    index = LANGUAGES.index(lang) if lang in LANGUAGES else 0

    def t(key: str, **values: object) -> str:
        pair = MESSAGES.get(key)
        text = pair[index] if pair else key
        return text.format(**values) if values else text

    return t


def pick_language(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The page language: query parameter, then cookie, then ``Accept-Language``, then English."""
    for choice in (query, cookie):
        if choice in LANGUAGES:
            return choice
    best, best_q = "en", -1.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        lang = tag.strip().lower()[:2]
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if lang in LANGUAGES and q > best_q:
            best, best_q = lang, q
    return best
