"""Annotated French sentences: each gold span must be found with its label, nothing else."""

from __future__ import annotations

import pytest

from hopia.privacy import Deidentifier, PersonData, nir_is_valid, parse_annotated

DEID = Deidentifier()

SENTENCES = [
    # NIR: valid keys (Corsica too), wrong key after a cue, wrong key without cue.
    "N° de sécurité sociale : <ent label=SECU>2 95 10 99 126 111 93</ent>.",
    "Assurée <ent label=SECU>186022A21532523</ent> (ALD 30).",
    "NIR <ent label=SECU>295109912611199</ent> à vérifier.",
    "n° SS <ent label=SECU>1 86 02 2A 215 325 99</ent>",
    "Référence de flacon 295109912611199 sans rapport.",
    # Phones.
    "Joignable au <ent label=TEL>06 12 34 56 78</ent> ou au <ent label=TEL>03.83.85.85.85</ent>.",
    "Tél : <ent label=TEL>+33 (0)6 12 34 56 78</ent>, fax <ent label=TEL>0033 3 83 15 30 00</ent>.",
    "Portable <ent label=TEL>07-81-22-33-44</ent>, fixe <ent label=TEL>0383858585</ent>.",
    "Mail : <ent label=MAIL>jean-paul.dupont@orange.fr</ent>",
    # Dates in every form.
    "Admis le <ent label=DATE>12/03/2024</ent>, sorti le <ent label=DATE>15.03.24</ent>.",
    "Scanner du <ent label=DATE>2024-03-12</ent> et IRM du <ent label=DATE>12 mars 2024</ent>.",
    "Revu le <ent label=DATE>3 janv.</ent> puis le <ent label=DATE>lundi 4</ent>.",
    "Début des symptômes en <ent label=DATE>mars 2021</ent>, bilan le <ent label=DATE>1er avril 2021</ent>.",
    "Contrôle prévu le <ent label=DATE>12/04</ent>. TA 12/8, traitement 1/2 cp.",
    "<ent label=NOM>Dupont</ent> né le <ent label=DATE_NAISSANCE>12/03/1961</ent>",
    "Date de naissance : <ent label=DATE_NAISSANCE>04/07/1948</ent>",
    # Identifiers after cue words.
    "IPP : <ent label=IPP>8001234567</ent> - NDA : <ent label=NDA>2401187345</ent>",
    "N° de séjour <ent label=NDA>2024-118734</ent>, numéro patient <ent label=IPP>00451287</ent>.",
    # Addresses, postcodes, cities.
    "Domicile : <ent label=ADRESSE>12 bis rue de la République</ent>, <ent label=ZIP>54000</ent> <ent label=VILLE>Nancy</ent>.",
    "Demeurant <ent label=ADRESSE>3 allée des Tilleuls</ent> <ent label=ZIP>54500</ent> <ent label=VILLE>Vandœuvre-lès-Nancy</ent>",
    "Courrier à <ent label=ADRESSE>1 place du Marché</ent>, <ent label=ZIP>57000</ent> <ent label=VILLE>Metz CEDEX 1</ent>.",
    "Patiente née à <ent label=VILLE>Pont-à-Mousson</ent>, vit seule.",
    "Mise en place de la perfusion, cours de la maladie stable.",
    # Hospitals.
    "Transférée du <ent label=HOPITAL>CH de Lunéville</ent> au <ent label=HOPITAL>CHRU de Nancy</ent> en hôpital de jour.",
    "Suivi à la <ent label=HOPITAL>Clinique Louis Pasteur</ent> puis à l'<ent label=HOPITAL>Hôpital Saint-Louis</ent>.",
    # Names from context.
    "Mme <ent label=PRENOM>Marie</ent> <ent label=NOM>DUPONT</ent>, 72 ans.",
    "M. <ent label=NOM>Lefèvre</ent> <ent label=PRENOM>Jean</ent> est hospitalisé.",
    "Vu par le Dr <ent label=PRENOM>J.</ent> <ent label=NOM>Petit</ent> et le Pr <ent label=NOM>Schmitt</ent>.",
    "Mme <ent label=NOM>Martin</ent> née <ent label=NOM>Dubois</ent>, accompagnée de son épouse <ent label=PRENOM>Claire</ent>.",
    "Nom : <ent label=NOM>THIRIET</ent> Prénom : <ent label=PRENOM>Odile</ent>",
    "Cordialement,\nDr <ent label=PRENOM>Sophie</ent> <ent label=NOM>Garnier</ent>",
    "Patient <ent label=PRENOM>Jean</ent> <ent label=NOM>MOUGENOT</ent>, suivi pour une HTA.",
    "Médecin traitant : Dr <ent label=NOM>Le Gall</ent>",
    "Monsieur <ent label=NOM>Humbert</ent> ce jour. <ent label=NOM>Humbert</ent> se plaint de céphalées.",
    # Eponyms and drugs are not names.
    "Maladie de Parkinson, chorée de Huntington, signe de Babinski, score de Glasgow à 15.",
    "Sous Lasilix 40 mg et Kardegic 75 mg ; pas de syndrome de Cushing.",
    "Classification NYHA II, score de Charlson à 4, échelle de Braden à 18.",
]


@pytest.mark.parametrize("annotated", SENTENCES)
def test_annotated_sentence(annotated: str) -> None:
    text, gold = parse_annotated(annotated)
    found = [(e.start, e.end, e.label) for e in DEID.detect(text)]
    assert found == [(e.start, e.end, e.label) for e in gold], text


def test_nir_vectors() -> None:
    assert nir_is_valid("2 95 10 99 126 111 93")
    assert nir_is_valid("186022A21532523")
    assert not nir_is_valid("295109912611199")


def test_person_context_masks_their_own_values() -> None:
    person = PersonData.from_mapping(
        {
            "nom": "Colnot",
            "prenom": "Ginette",
            "birth_date": "1948-07-04",
            "ville": "Toul",
            "tel": "0383112233",
            "adresse": "5 rue des Vosges",
        }
    )
    annotated = (
        "<ent label=PRENOM>Ginette</ent> <ent label=NOM>COLNOT</ent>, <ent label=DATE_NAISSANCE>4 juillet 1948</ent>, "
        "habite <ent label=ADRESSE>5 rue des Vosges</ent> à <ent label=VILLE>Toul</ent>, "
        "tél. <ent label=TEL>03 83 11 22 33</ent>."
    )
    text, gold = parse_annotated(annotated)
    found = [(e.start, e.end, e.label) for e in DEID.detect(text, person)]
    assert found == [(e.start, e.end, e.label) for e in gold]


def test_site_identifier_patterns() -> None:
    deid = Deidentifier(ipp_patterns=[r"\b8\d{9}\b"])
    assert [e.label for e in deid.detect("réf. 8001234567 revu")] == ["IPP"]
    assert [e.label for e in deid.detect("dossier 8001234567 revu")] == ["IPP"]
    assert Deidentifier().detect("réf. 8001234567 revu") == []


def test_public_names_are_exactly_all() -> None:
    import hopia.privacy as privacy

    assert set(privacy.__all__) == set(dir(privacy))
