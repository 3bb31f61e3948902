"""Find person names from their context, and tell first names (PRENOM) from surnames (NOM).

Cues: titles (M., Mme, Dr, Pr, Docteur…), form fields (``Nom : … Prénom : …``, ``Médecin
traitant :``, ``Signé par``), ``née``/``épouse`` (birth name), family words (``son épouse``,
``sa fille``), the line after a closing formula (signature), and an upper-case surname next to
a known first name (``Jean DUPONT``). Eponyms and drug names are never taken.

Examples
--------
>>> from hopia.privacy._entities import resolve
>>> text = "Mme Marie DUPONT, née Martin, vue avec son épouse Claire. Signe de Babinski. Dr J. Petit"
>>> [(e.text, e.label) for e in resolve(text, find_names(text))]
[('Marie', 'PRENOM'), ('DUPONT', 'NOM'), ('Martin', 'NOM'), ('Claire', 'PRENOM'), ('J.', 'PRENOM'), ('Petit', 'NOM')]
"""

from __future__ import annotations

import re

from hopia.privacy._entities import Candidate, boundary_before, candidate, lower
from hopia.privacy.pipes.names import patterns as p

_PIECE = re.compile(rf"(?:{p.PARTICLE}[ \t]+)?(?:{p.CAPS_WORD}|{p.TITLE_WORD}|{p.INITIAL})")


def is_name_word(word: str) -> bool:
    """False for words that look like names but are not (eponyms, drugs, section titles)."""
    return word not in p.NOT_NAMES and word.upper() not in p.CAPS_NOT_NAMES


def _is_first_name(word: str) -> bool:
    title = word[:1] + word[1:].lower() if word.isupper() else word
    return title in p.FIRST_NAMES or title.split("-")[0] in p.FIRST_NAMES


def _pieces(
    text: str, start: int, end: int, from_right: bool = False
) -> list[tuple[int, int, str]]:
    """The name tokens of ``text[start:end]``, cut at the first word that is not a name
    (reading from the right for a name that a cue follows)."""
    pieces = []
    matches = list(_PIECE.finditer(text, start, end))
    for match in reversed(matches) if from_right else matches:
        word = p.TOKEN.findall(match[0])[-1]
        if not is_name_word(word) or (
            word.isupper() and len(word) > 1 and word in p.CAPS_NOT_NAMES
        ):
            break
        kind = "initial" if word.endswith(".") else "caps" if word.isupper() else "title"
        pieces.append((match.start(), match.end(), kind))
    return sorted(pieces)


def _label_pieces(
    text: str, pieces: list[tuple[int, int, str]], mode: str, surname_first: bool = False
) -> list[tuple[int, int, str]]:
    """Label each token NOM or PRENOM (``mode``: ``title``, ``surname``, ``first``, ``relative``)."""
    if not pieces:
        return []
    words = [text[s:e].split()[-1] for s, e, _ in pieces]
    kinds = [k for _, _, k in pieces]
    if mode == "surname":
        labels = ["PRENOM" if k == "initial" else "NOM" for k in kinds]
    elif mode == "first":
        labels = ["PRENOM"] * len(pieces)
    elif len(pieces) == 1:
        single_first = mode == "relative" and kinds[0] != "caps"
        labels = ["PRENOM" if kinds[0] == "initial" or single_first else "NOM"]
    elif "caps" in kinds and "title" in kinds:
        labels = ["NOM" if k == "caps" else "PRENOM" for k in kinds]
    elif "caps" in kinds:
        labels = [
            "PRENOM" if k == "initial" or (i > 0 and _is_first_name(w)) else "NOM"
            for i, (w, k) in enumerate(zip(words, kinds, strict=True))
        ]
    else:
        labels = ["NOM"] * len(pieces)
        ambiguous = _is_first_name(words[0]) and _is_first_name(words[-1])
        if surname_first and ambiguous:
            labels[-1] = "PRENOM"
        elif kinds[0] == "initial" or _is_first_name(words[0]) or not _is_first_name(words[-1]):
            labels[0] = "PRENOM"
        else:
            labels[-1] = "PRENOM"
        labels = ["PRENOM" if k == "initial" else lab for lab, k in zip(labels, kinds, strict=True)]
    # Adjacent tokens with one label form one span ("Le Gall", "Jean Pierre").
    spans: list[tuple[int, int, str]] = []
    for (start, end, _), label in zip(pieces, labels, strict=True):
        if spans and spans[-1][2] == label and text[spans[-1][1] : start].strip() == "":
            spans[-1] = (spans[-1][0], end, label)
        else:
            spans.append((start, end, label))
    return spans


def _field_mode(field: str) -> str:
    if field.startswith("pr"):
        return "first"
    if field.startswith("nom") and "pr" not in field:
        return "surname" if "naissance" in field or "jeune" in field else "title"
    return "title"


def find_names(text: str) -> list[Candidate]:
    """NOM and PRENOM spans found from their context."""
    low = lower(text)
    found: list[Candidate] = []

    def add(start: int, end: int, mode: str, from_right: bool = False) -> None:
        pieces = _pieces(text, start, end, from_right)
        # A name written before "né le" or an age is in header order: NOM Prénom.
        labels = _label_pieces(text, pieces, mode, surname_first=from_right)
        found.extend(candidate(s, e, label) for s, e, label in labels)

    def name_at(position: int, mode: str) -> None:
        match = p.NAME_AT.match(text, position)
        if match:
            add(match.start("name"), match.end("name"), mode)

    for match in p.AFTER_TITLE.finditer(text):
        if match.start() == 0 or not (
            text[match.start() - 1].isalnum() or text[match.start() - 1] == "."
        ):
            add(match.start("name"), match.end("name"), "title")
    for cue in p.FORM_CUE.finditer(low):
        if boundary_before(text, cue.start()):
            name_at(cue.end(), _field_mode(cue["field"]))
    for cue in p.BORN_AS_CUE.finditer(low):
        if boundary_before(text, cue.start()) and not low.endswith(("son ", "sa "), 0, cue.start()):
            name_at(cue.end(), "surname")
    for cue in p.RELATIVE_CUE.finditer(low):
        if boundary_before(text, cue.start()):
            name_at(cue.end(), "relative")
    for cue in p.SIGNATURE_CUE.finditer(low):
        if boundary_before(text, cue.start()):
            name_at(cue.end(), "title")
    for cue in p.BORN_CUE.finditer(low):
        if low[cue.start()] == "," or boundary_before(text, cue.start()):
            before = p.NAME_BEFORE.search(text, max(0, cue.start() - 60), cue.start())
            if before:
                add(before.start("name"), before.end("name"), "title", from_right=True)
    for caps in p.CAPS_FIND.finditer(text):
        start, end = caps.span()
        if not boundary_before(text, start) or not is_name_word(caps[0]):
            continue
        first = p.FIRST_BEFORE.search(text, max(0, start - 30), start) or p.FIRST_AFTER.match(
            text, end
        )
        if first and _is_first_name(first["first"]) and boundary_before(text, first.start("first")):
            found.append(candidate(*first.span("first"), "PRENOM", -2))
            found.append(candidate(start, end, "NOM", -2))
    return found
