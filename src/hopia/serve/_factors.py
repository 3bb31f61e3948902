"""Feature names in plain words, for the factors shown beside a risk.

Feature names come from ``hopia.features``: ``age``, ``sex=F``, ``unit=REA``,
``hours_since_admission`` and ``CODE|aggregate|window`` (``LOINC/8867-4|last|24h``).

Examples
--------
>>> describe_feature("LOINC/8867-4|last|24h", 118.0, {}, {"LOINC/8867-4": "/min"})
'Heart rate: last value 118 /min in the last 24h'
>>> describe_feature("sex=F", 1.0, {}, {}, lang="fr")
'Sexe : féminin'
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from hopia.serve._i18n import translator
from hopia.serve._timeline import KEY_MEASUREMENTS


def _number(value: float) -> str:
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.3g}"


def code_label(code: str, names: Mapping[str, str], lang: str = "en") -> str:
    """A code's name: hopia's own for key labs and vitals, else the concept name, else the code."""
    t = translator(lang)
    key = KEY_MEASUREMENTS.get(code)
    if key:
        return t(key)
    if code.startswith("UNIT/"):
        return code.removeprefix("UNIT/")
    return names.get(code) or code


def describe_feature(
    feature: str,
    value: float | None,
    names: Mapping[str, str],
    units: Mapping[str, str],
    *,
    lang: str = "en",
) -> str:
    """One feature and its value in words.

    Parameters
    ----------
    feature
        The feature name.
    value
        Its value for the person (``None`` or NaN when absent).
    names
        Code → concept name.
    units
        Code → unit of its values.
    lang
        ``en`` or ``fr``.
    """
    t = translator(lang)
    present = value is not None and not math.isnan(value)
    v = _number(float(value)) if value is not None and present else ""
    if feature == "age":
        return t("f_age", v=v or "?")
    if feature.startswith("sex="):
        return t("f_sex", v=t("sex_" + feature[4:]) if feature[4:] in ("F", "M") else feature[4:])
    if feature.startswith("unit="):
        return t("f_unit_in" if present and value else "f_unit_not", v=feature[5:])
    if feature == "hours_since_admission":
        return t("f_hours_adm", v=v or "?")
    parts = feature.rsplit("|", 2)
    if len(parts) != 3:
        return feature
    code, aggregate, window = parts
    name = code_label(code, names, lang)
    when = t("w_all") if window == "all" else t("w_last", v=window)
    unit = f" {units[code]}" if code in units else ""
    if aggregate == "count":
        return (
            t("f_count", name=name, v=v, window=when)
            if present and value
            else t("f_count_none", name=name, window=when)
        )
    if aggregate == "hours_since_last":
        return t("f_since", name=name, v=v) if present else t("f_absent", name=name, window=when)
    if aggregate in ("last", "mean", "min", "max", "slope") and present:
        return t(f"f_{aggregate}", name=name, v=v, unit=unit, window=when)
    return t("f_absent", name=name, window=when)
