"""Find street addresses, postcodes and cities.

Examples
--------
>>> text = "Domicile : 12 bis rue de la République, 54000 Nancy CEDEX. Né à Pont-à-Mousson."
>>> [(text[c.start:c.end], c.label) for c in sorted(find_places(text))]
[('12 bis rue de la République', 'ADRESSE'), ('54000', 'ZIP'), ('Nancy CEDEX', 'VILLE'), ('Pont-à-Mousson', 'VILLE')]
"""

from __future__ import annotations

from hopia.privacy._entities import Candidate, boundary_before, candidate, lower
from hopia.privacy.pipes.places import patterns as p

# Words that follow "de"/"à" with a capital but are not places.
_NOT_CITIES = frozenset(
    [
        "Le",
        "La",
        "Les",
        "Un",
        "Une",
        "Monsieur",
        "Madame",
        "Mme",
        "Dr",
        "Pr",
        "Docteur",
        "Professeur",
        "Mr",
    ]
)


def find_places(text: str) -> list[Candidate]:
    """ADRESSE (number, type, name), ZIP + VILLE after a postcode, VILLE after a cue."""
    low = lower(text)
    found = []
    for street in p.STREET_TYPE_FIND.finditer(low):
        if not boundary_before(text, street.start()):
            continue
        name = p.STREET_NAME_AT.match(text, street.end())
        number = p.NUMBER_BEFORE.search(low, max(0, street.start() - 12), street.start())
        if number and not boundary_before(text, number.start()):
            number = None
        start = number.start() if number else street.start()
        if name:
            # "mise en place de la perfusion" has no capital after it: not a street.
            found.append(candidate(start, name.end(), "ADRESSE", bonus=0 if number else -20))
        elif number and low.startswith("grande", street.start()):
            found.append(candidate(start, street.end(), "ADRESSE"))
    for match in p.ZIP_CITY.finditer(text):
        if boundary_before(text, match.start()):
            found.append(candidate(*match.span("zip"), "ZIP"))
            found.append(candidate(*match.span("city"), "VILLE"))
    for match in p.ZIP_AFTER_CUE.finditer(low):
        if boundary_before(text, match.start()):
            found.append(candidate(*match.span("zip"), "ZIP"))
    for cue in p.CITY_CUE.finditer(low):
        if not boundary_before(text, cue.start()):
            continue
        city = p.CITY_AT.match(text, cue.end())
        if city and city["city"].split()[0] not in _NOT_CITIES:
            found.append(candidate(*city.span("city"), "VILLE", bonus=-5))
    return found
