"""Street addresses, postcodes with their city (CEDEX, arrondissements), cities after cues."""

from __future__ import annotations

import re

UPPER = "A-ZÀ-ÖØ-ÞŒ"
LOWER = "a-zà-öø-ÿœ"
WORD = rf"[{UPPER}][{LOWER}{UPPER}'’]*(?:-[{UPPER}{LOWER}][{LOWER}{UPPER}'’]*)*"
ROMAN = r"(?:[IVX]{1,4})"
CONNECTOR = r"(?:de\s+la|de\s+l['’]|des|du|de|d['’]|la|le|les|l['’]|aux|au|en|sur|sous|et|à)"
STREET_TYPE = (
    r"(?:rue|avenue|av\.|bd|boulevard|blvd|allée|allee|place|chemin|impasse|route|quai|cours|"
    r"square|passage|résidence|residence|lotissement|lieu-dit|hameau|cité|cite|voie|sentier|"
    r"rond-point|faubourg|fbg|esplanade|parvis|promenade|montée|ruelle|villa|grande\s+rue|"
    r"grand['’]\s*rue|clos|domaine|parc|zone\s+artisanale|ZA|ZI)"
)
NUMBER = r"(?P<number>\d{1,4}(?:\s?(?:bis|ter|quater|[A-D])(?![\w]))?,?\s+)"
# The name after the street type: words starting with a capital, linked by connectors.
STREET_NAME = (
    rf"(?:\s+(?:{CONNECTOR}\s*)*(?:{WORD}|{ROMAN}|\d{{1,2}}(?:er|e)?(?=\s+[{UPPER}])))"
    rf"(?:[ \t]+(?:{CONNECTOR}[ \t]*)*(?:{WORD}|{ROMAN}))*"
)
# Finders run on the lower-cased text and start with literals (fast in Python's re); the rest
# of a span is matched on the original text, anchored where the finder stopped.
STREET_TYPE_FIND = re.compile(STREET_TYPE.lower() + r"(?![\w])")
STREET_NAME_AT = re.compile(STREET_NAME)
NUMBER_BEFORE = re.compile(r"\d{1,4}(?:\s?(?:bis|ter|quater|[a-d])(?![\w]))?,?\s+$")

CITY = (
    rf"(?P<city>{WORD}(?:[ \-](?!CEDEX|Cedex)(?:{CONNECTOR}|{WORD}))*"
    rf"(?:\s+(?:CEDEX|Cedex|cedex)(?:\s+\d{{1,2}})?)?"
    rf"(?:\s+\d{{1,2}}(?:e|ème|eme|er)(?:\s+arrondissement)?)?)"
)
ZIP_CITY = re.compile(rf"(?P<zip>(?:0[1-9]|[1-8]\d|9[0-8])\d{{3}})[ \t]+{CITY}")
ZIP_AFTER_CUE = re.compile(r"(?:code\s+postal|cp)\s*:?\s*(?P<zip>\d{5})(?![\w])")
CITY_CUE = re.compile(
    r"(?:n[ée]e?|n[ée]\(e\)|habit(?:e|ant)|domicili[ée]e?|demeurant|r[ée]sid(?:e|ant)|"
    r"vit|install[ée]e?|originaire|ville|commune|localit[ée])\s*(?:à|a|de|d['’]|:)\s*"
)
CITY_AT = re.compile(rf"(?P<city>{WORD}(?:[ \-](?:{CONNECTOR}|{WORD}))*?)(?=[\s,.;:)]|$)")
