"""Hospital names: an institution word followed by a proper name, or a known acronym.

``CHU de Nancy``, ``CHRU de Nancy-Brabois``, ``CH de Lunéville``, ``Centre hospitalier de
Verdun``, ``Hôpital Saint-Louis``, ``hôpital de Brabois``, ``Clinique Louis Pasteur``,
``Polyclinique de Gentilly``, ``Institut de Cancérologie de Lorraine``, ``AP-HP``, ``HCL``.
``hôpital de jour`` or ``la clinique`` alone are not names.
"""

from __future__ import annotations

import re

from hopia.privacy.pipes.places.patterns import ROMAN, UPPER, WORD

CONNECTOR = r"(?:de\s+la|de\s+l['’]|des|du|de|d['’]|la|le|les|l['’]|sur|sous|en|lès|les)"

INSTITUTION = (
    r"(?:CHRU|CHU|CHR|CHI|CHS|CHG|CH|CHIC|GHU|GHT|GHR|GH|CLCC|EHPAD|SSR|USLD|HIA|"
    r"(?i:centre\s+hospitalier(?:\s+universitaire|\s+r[ée]gional(?:\s+universitaire)?|"
    r"\s+intercommunal|\s+sp[ée]cialis[ée])?|centre\s+psychoth[ée]rapique|h[ôo]pital|h[ôo]pitaux|"
    r"clinique|polyclinique|institut|groupe\s+hospitalier|hospices?\s+civils?|maison\s+de\s+sant[ée]|"
    r"centre\s+de\s+(?:r[ée][ée]ducation|r[ée]adaptation|lutte\s+contre\s+le\s+cancer|soins)|"
    r"maternit[ée]|h[ôo]tel-dieu))"
)
# Found on the lower-cased text; an acronym must be upper case in the original.
INSTITUTION_FIND = re.compile(
    r"(?:chru|chu|chr|chi|chs|chg|ch|chic|ghu|ght|ghr|gh|clcc|ehpad|ssr|usld|hia|"
    r"centre\s+hospitalier(?:\s+universitaire|\s+r[ée]gional(?:\s+universitaire)?|"
    r"\s+intercommunal|\s+sp[ée]cialis[ée])?|centre\s+psychoth[ée]rapique|h[ôo]pital|h[ôo]pitaux|"
    r"clinique|polyclinique|institut|groupe\s+hospitalier|hospices?\s+civils?|maison\s+de\s+sant[ée]|"
    r"centre\s+de\s+(?:r[ée][ée]ducation|r[ée]adaptation|lutte\s+contre\s+le\s+cancer|soins)|"
    r"maternit[ée]|h[ôo]tel-dieu)(?![\w])"
)
NAME_AFTER = re.compile(
    rf"(?:[ \t]+(?:{CONNECTOR}[ \t]*)*(?!{INSTITUTION}(?![\w]))(?:{WORD}|{ROMAN}|[{UPPER}]{{2,}}))+"
)
ACRONYM = re.compile(r"(?:ap-hp|aphp|ap-hm|aphm|hcl)(?![\w-])")
