"""French clinical notes with known identifying spans (the de-identification gold standard).

A note is a sequence of *parts*: literal text or a labelled value (NOM, DATE, TEL …). Parts
are Arrow string columns (one entry per note), so a template fills thousands of notes at once;
the offset of every labelled part is the running sum of the lengths before it, which gives the
gold spans of ``synth_truth.note_phi`` exactly (offsets count characters, as Python ``str``
indices do). Formats vary (dates, phones, NIR), and eponyms (maladie de Parkinson, signe de
Babinski …) appear as traps that are not PHI.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hopia.synth import _lexicon as lex
from hopia.synth._arrow import HOUR, dates, ints, omop_table, timestamps
from hopia.synth._catalogue import MOTIFS, PROCEDURES, REASONS, UNITS, code_index
from hopia.synth._people import People
from hopia.synth._stays import Stays
from hopia.synth._visits import EHR, VisitIds

_MONTHS = pa.array(lex.MONTHS_FR)
_HOSPITALS = pa.array(
    ["CHRU de Nancy", "Hôpital Central", "Hôpital de Brabois", "CHRU Nancy-Brabois"]
)
_DEST_TEXT = pa.array(
    ["retour à domicile", "transfert en soins de suite et de réadaptation", "retour en EHPAD", "décès",
     "transfert vers un autre établissement", "hospitalisation"])  # fmt: skip
_REASON_TEXT = pa.array([r.label for r in REASONS])
_UNIT_TEXT = pa.array([u.name for u in UNITS])
_MOTIF_TEXT = pa.array(list(MOTIFS.values()))
_MOTIF_BASE = code_index("MOTIF", next(iter(MOTIFS)))
_EPONYMS = pa.array([*lex.EPONYM_SENTENCES, "Pas d'antécédent familial de chorée de Huntington."])
_FIRST_NAMES = pa.array(lex.FIRST_NAMES_F + lex.FIRST_NAMES_M)
_SURNAMES = pa.array(lex.SURNAMES)
_SURGERY = (
    "HHFA016",
    "HMFC004",
    "HHFA009",
    "NEKA020",
    "NFKA008",
    "NBCA006",
    "JQGA002",
    "QEFA003",
    "DDAF008",
)
_SURGERY_TEXT = pa.array(
    [
        PROCEDURES[r.procedures[-1]] if r.procedures and r.procedures[-1] in _SURGERY else ""
        for r in REASONS
    ]
)
_SURGICAL_REASONS = [
    i for i, r in enumerate(REASONS) if r.procedures and r.procedures[-1] in _SURGERY
]

Part = str | pa.Array


class Note:
    """Parts of a batch of notes; :meth:`build` joins them and returns the gold spans."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.parts: list[tuple[str, Part]] = []

    def text(self, value: Part) -> Note:
        self.parts.append(("", value))
        return self

    def phi(self, label: str, value: pa.Array) -> Note:
        self.parts.append((label, value))
        return self

    def build(self) -> tuple[pa.Array, list[tuple[str, np.ndarray, np.ndarray, pa.Array]]]:
        offset = np.zeros(self.n, np.int64)
        spans = []
        arrays: list[pa.Array | pa.Scalar] = []
        for label, value in self.parts:
            if isinstance(value, str):
                arrays.append(pa.scalar(value, pa.string()))
                offset = offset + len(value)
                continue
            length = pc.utf8_length(value).to_numpy(zero_copy_only=False).astype(np.int64)
            if label:
                spans.append((label, offset.copy(), offset + length, value))
            arrays.append(value)
            offset = offset + length
        text = pc.binary_join_element_wise(*arrays, "") if self.n else pa.array([], pa.string())
        return text, spans


def format_date(seconds: np.ndarray, style: np.ndarray) -> pa.Array:
    """French dates in five styles: 03/02/2023, 3 février 2023, 03.02.23, 2023-02-03, 3/2/23.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.array([1675382400] * 5)  # 2023-02-03
    >>> format_date(t, np.arange(5)).to_pylist()
    ['03/02/2023', '3 février 2023', '03.02.23', '2023-02-03', '3/2/23']
    """
    ts = timestamps(np.asarray(seconds))
    d2, m2 = pc.strftime(ts, format="%d"), pc.strftime(ts, format="%m")
    y4, y2 = pc.strftime(ts, format="%Y"), pc.strftime(ts, format="%y")
    d1, m1 = pc.utf8_ltrim(d2, characters="0"), pc.utf8_ltrim(m2, characters="0")
    month = _MONTHS.take(pc.subtract(pc.cast(m2, pa.int32()), 1))
    long_day = pc.if_else(pc.equal(d1, "1"), "1er", d1)
    styles = [
        _join(d2, "/", m2, "/", y4),
        _join(long_day, " ", month, " ", y4),
        _join(d2, ".", m2, ".", y2),
        _join(y4, "-", m2, "-", d2),
        _join(d1, "/", m1, "/", y2),
    ]
    return _choose(styles, style)


def format_phone(digits: pa.Array, style: np.ndarray) -> pa.Array:
    """0612345678 → 06 12 34 56 78, 06.12.34.56.78, +33 6 12 34 56 78 or 0612345678.

    Examples
    --------
    >>> import numpy as np, pyarrow as pa
    >>> format_phone(pa.array(["0612345678"] * 4), np.arange(4)).to_pylist()
    ['06 12 34 56 78', '06.12.34.56.78', '+33 6 12 34 56 78', '0612345678']
    """
    pairs = [pc.utf8_slice_codeunits(digits, i, i + 2) for i in range(0, 10, 2)]
    spaced = _join(*_interleave(pairs, " "))
    dotted = _join(*_interleave(pairs, "."))
    international = _join(
        "+33 ", pc.utf8_slice_codeunits(digits, 1, 2), " ", *_interleave(pairs[1:], " ")
    )
    return _choose([spaced, dotted, international, digits], style)


def format_nir(nir: pa.Array, style: np.ndarray) -> pa.Array:
    """A NIR compact (15 characters) or grouped ``1 85 03 54 395 123 45``."""
    cuts = [(0, 1), (1, 3), (3, 5), (5, 7), (7, 10), (10, 13), (13, 15)]
    pieces = [pc.utf8_slice_codeunits(nir, a, b) for a, b in cuts]
    return _choose([nir, _join(*_interleave(pieces, " "))], style)


def notes(
    people: People, stays: Stays, ids: VisitIds, rng: np.random.Generator
) -> tuple[pa.Table, pa.Table]:
    """Discharge letters (every stay), ED reports (a quarter of ED visits), operative reports."""
    ip, ed = stays.ip, stays.ed
    ident = _Identities(people)
    pick = np.flatnonzero(rng.random(len(ids.ed)) < 0.25)
    surgical = np.flatnonzero(np.isin(ip["reason"], _SURGICAL_REASONS))
    batches = [
        _discharge_letters(ident, ip, ids.ip, rng),
        _ed_reports(ident, {k: v[pick] for k, v in ed.items()}, ids.ed[pick], rng),
        _operative_reports(ident, {k: v[surgical] for k, v in ip.items()}, ids.ip[surgical], rng),
    ]
    note_parts, phi_parts = [], []
    next_id = 1
    for kind, title, visit, person, when, text, spans in batches:
        n = len(visit)
        note_id = np.arange(next_id, next_id + n)
        next_id += n
        note_parts.append(
            omop_table(
                "note",
                {
                    "note_id": ints(note_id),
                    "person_id": ints(people.person_id[person]),
                    "note_date": dates(when),
                    "note_datetime": timestamps(when),
                    "note_type_concept_id": ints(np.full(n, EHR)),
                    "note_title": pa.array([title] * n, pa.string()),
                    "note_text": text,
                    "language_concept_id": ints(np.full(n, 4180190)),  # French
                    "visit_occurrence_id": ints(visit),
                    "note_source_value": pa.array([kind] * n, pa.string()),
                },
                n,
            )
        )
        for label, start, stop, value in spans:
            keep = stop > start
            phi_parts.append(
                pa.table(
                    {
                        "note_id": ints(note_id[keep]),
                        "start": ints(start[keep]),
                        "end": ints(stop[keep]),
                        "label": pa.array([label] * int(keep.sum()), pa.string()),
                        "text": value.filter(pa.array(keep)),
                    }
                )
            )
    phi = pa.concat_tables(phi_parts).combine_chunks()
    order = pc.sort_indices(phi, [("note_id", "ascending"), ("start", "ascending")])
    return pa.concat_tables(note_parts), phi.take(order)


class _Identities:
    """The persons' identifying fields as Arrow columns (taken per note)."""

    def __init__(self, people: People) -> None:
        self.people = people
        self.columns = {
            name: pa.array(getattr(people, name), pa.string())
            for name in (
                "surname",
                "first_name",
                "address",
                "zip",
                "city",
                "phone",
                "email",
                "nir",
                "ipp",
            )
        }

    def of(self, person: np.ndarray, rng: np.random.Generator) -> dict[str, pa.Array]:
        n = len(person)
        idx = pa.array(person)
        c = {name: column.take(idx) for name, column in self.columns.items()}
        upper = pa.array(rng.random(n) < 0.5)
        return {
            "prenom": c["first_name"],
            "nom": pc.if_else(upper, pc.utf8_upper(c["surname"]), c["surname"]),
            "naissance": format_date(self.people.birth[person], rng.integers(0, 5, n)),
            "adresse": c["address"], "zip": c["zip"], "ville": c["city"],
            "tel": format_phone(c["phone"], rng.integers(0, 4, n)), "mail": c["email"],
            "secu": format_nir(c["nir"], rng.integers(0, 2, n)), "ipp": c["ipp"],
            "hopital": _HOSPITALS.take(pa.array(rng.integers(0, len(_HOSPITALS), n))),
            "dr_nom": _SURNAMES.take(pa.array(rng.integers(0, len(_SURNAMES), n))),
            "dr_prenom": _FIRST_NAMES.take(pa.array(rng.integers(0, len(_FIRST_NAMES), n))),
            "eponym": _EPONYMS.take(pa.array(rng.integers(0, len(_EPONYMS), n))),
        }  # fmt: skip


def _nda(visit: np.ndarray, when: np.ndarray) -> pa.Array:
    """The stay number: two digits of the year and seven of the visit."""
    year = pc.strftime(timestamps(when), format="%y")
    return _join(year, pc.utf8_lpad(pc.cast(pa.array(visit), pa.string()), 7, "0"))


def _discharge_letters(
    ident: _Identities, ip: dict[str, np.ndarray], visit: np.ndarray, rng: np.random.Generator
) -> tuple:
    n = len(visit)
    p = ident.of(ip["person"], rng)
    style = rng.integers(0, 5, n)
    with_mail = pc.greater(pc.utf8_length(p["mail"]), 0)
    note = Note(n)
    note.phi("HOPITAL", p["hopital"]).text(
        _join(" — Service : ", _UNIT_TEXT.take(pa.array(ip["seg_unit"][:, 0])), "\n")
    )
    note.text("Compte rendu d'hospitalisation\n\nPatient : ")
    note.phi("PRENOM", p["prenom"]).text(" ").phi("NOM", p["nom"]).text(", né(e) le ").phi(
        "DATE_NAISSANCE", p["naissance"]
    )
    note.text("\nIPP : ").phi("IPP", p["ipp"]).text(" — NDA : ").phi(
        "NDA", _nda(visit, ip["admit"])
    )
    note.text("\nN° de sécurité sociale : ").phi("SECU", p["secu"]).text("\nAdresse : ").phi(
        "ADRESSE", p["adresse"]
    )
    note.text(", ").phi("ZIP", p["zip"]).text(" ").phi("VILLE", p["ville"]).text("\nTél. : ").phi(
        "TEL", p["tel"]
    )
    note.text(pc.if_else(with_mail, " — Courriel : ", "")).phi("MAIL", p["mail"])
    note.text("\n\nCher confrère,\n\nVotre patient(e) a été hospitalisé(e) du ").phi(
        "DATE", format_date(ip["admit"], style)
    )
    note.text(" au ").phi("DATE", format_date(ip["discharge"], (style + rng.integers(0, 2, n)) % 5))
    note.text(_join(" pour ", _REASON_TEXT.take(pa.array(ip["reason"])), ". ")).text(p["eponym"])
    course = pc.if_else(pa.array(ip["icu"]), " Séjour compliqué nécessitant un passage en réanimation.",
                        " Évolution favorable sous traitement.")  # fmt: skip
    note.text(course).text(
        _join("\nDevenir : ", _DEST_TEXT.take(pa.array(ip["destination"])), ".\n\n")
    )
    note.text("Bien confraternellement,\nDr ").phi("PRENOM", p["dr_prenom"]).text(" ").phi(
        "NOM", p["dr_nom"]
    ).text("\n")
    text, spans = note.build()
    when = np.maximum(ip["discharge"] - HOUR // 2, ip["admit"])
    return "CRH", "Compte rendu d'hospitalisation", visit, ip["person"], when, text, spans


def _ed_reports(
    ident: _Identities, ed: dict[str, np.ndarray], visit: np.ndarray, rng: np.random.Generator
) -> tuple:
    n = len(visit)
    p = ident.of(ed["person"], rng)
    age = ((ed["time"] - ident.people.birth[ed["person"]]) // int(365.25 * 86_400)).astype(np.int64)
    clock = pc.strftime(timestamps(ed["time"]), format="%Hh%M")
    orientation = pc.if_else(pa.array(ed["admitted"]), "hospitalisation", "retour à domicile")
    contact = _FIRST_NAMES.take(pa.array(rng.integers(0, len(_FIRST_NAMES), n)))
    note = Note(n)
    note.text("Compte rendu de passage aux urgences — ").phi("HOPITAL", p["hopital"]).text("\n")
    note.phi("NOM", p["nom"]).text(" ").phi("PRENOM", p["prenom"]).text(
        _join(", ", pc.cast(pa.array(age), pa.string()), " ans, né(e) le ")
    )
    note.phi("DATE_NAISSANCE", p["naissance"]).text(". IPP ").phi("IPP", p["ipp"]).text(
        ". Dossier "
    ).phi("NDA", _nda(visit, ed["time"]))
    note.text(".\nArrivée le ").phi("DATE", format_date(ed["time"], rng.integers(0, 5, n))).text(
        _join(" à ", clock, ".")
    )
    motif = _MOTIF_TEXT.take(pa.array(ed["motif"] - _MOTIF_BASE))
    note.text(
        _join(
            " Motif : ",
            motif,
            ". Tri IOA niveau ",
            pc.cast(pa.array(ed["triage_level"]), pa.string()),
            ".\n",
        )
    )
    note.text(p["eponym"]).text(
        _join(
            "\nDiagnostic : ",
            _REASON_TEXT.take(pa.array(ed["reason"])),
            ". Orientation : ",
            orientation,
            ".",
        )
    )
    note.text("\nPersonne à prévenir : ").phi("PRENOM", contact).text(" ").phi(
        "NOM", p["nom"]
    ).text(" au ").phi("TEL", p["tel"])
    note.text(".\nDomicile : ").phi("ADRESSE", p["adresse"]).text(" ").phi("ZIP", p["zip"]).text(
        " "
    ).phi("VILLE", p["ville"]).text("\n")
    text, spans = note.build()
    return (
        "CRU",
        "Compte rendu des urgences",
        visit,
        ed["person"],
        np.maximum(ed["departure"] - 600, ed["time"]),
        text,
        spans,
    )


def _operative_reports(
    ident: _Identities, ip: dict[str, np.ndarray], visit: np.ndarray, rng: np.random.Generator
) -> tuple:
    n = len(visit)
    p = ident.of(ip["person"], rng)
    when = np.maximum(np.minimum(ip["admit"] + 6 * HOUR, ip["discharge"] - HOUR), ip["admit"])
    note = Note(n)
    note.text("Compte rendu opératoire\n").phi("HOPITAL", p["hopital"]).text(
        ", bloc opératoire\nOpéré(e) : "
    )
    note.phi("NOM", p["nom"]).text(" ").phi("PRENOM", p["prenom"]).text(" — IPP ").phi(
        "IPP", p["ipp"]
    )
    note.text("\nDate de l'intervention : ").phi("DATE", format_date(when, rng.integers(0, 5, n)))
    note.text(
        _join("\nIntervention : ", _SURGERY_TEXT.take(pa.array(ip["reason"])), ".\nOpérateur : Pr ")
    ).phi("NOM", p["dr_nom"])
    note.text(". ").text(p["eponym"]).text("\nSuites opératoires simples.\n")
    text, spans = note.build()
    return "CRO", "Compte rendu opératoire", visit, ip["person"], when, text, spans


def _join(*parts: Part) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _interleave(pieces: list[pa.Array], sep: str) -> list[Part]:
    out: list[Part] = []
    for i, piece in enumerate(pieces):
        if i:
            out.append(sep)
        out.append(piece)
    return out


def _choose(options: list[pa.Array], style: np.ndarray) -> pa.Array:
    return pc.choose(pa.array(np.asarray(style) % len(options), pa.int8()), *options)


__all__ = ["format_date", "format_nir", "format_phone", "notes"]
