"""Task specs: built-in YAMLs load and round-trip; a bad spec names the key and what was expected."""

from __future__ import annotations

import pytest

from hopia.errors import InputError
from hopia.tasks import list_tasks, load_task, parse_duration, task_from_dict

BUILTIN = [
    "deterioration_48h",
    "ed_admission",
    "inhospital_mortality",
    "long_stay_7d",
    "readmission_30d",
]
MINIMAL = {
    "name": "t",
    "description": "A task.",
    "population": {"visit_types": ["IP"]},
    "index": {"anchor": "admission"},
    "outcome": {"any_of": [{"type": "death"}], "window": "2d"},
}


def with_change(path: str, value: object) -> dict:
    """MINIMAL with one key (dotted path) set to ``value``."""
    import copy

    spec = copy.deepcopy(MINIMAL)
    *parents, last = path.split(".")
    node = spec
    for part in parents:
        node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
    node[last] = value
    return spec


def test_builtin_tasks_are_listed() -> None:
    assert list_tasks() == BUILTIN


@pytest.mark.parametrize("name", BUILTIN)
def test_builtin_task_loads_describes_its_use_and_round_trips(name: str, tmp_path) -> None:
    task = load_task(name)
    assert task.name == name
    assert "Clinical use:" in task.description
    path = tmp_path / f"{name}.yaml"
    path.write_text(task.to_yaml())
    assert load_task(path) == task


def test_durations() -> None:
    assert [parse_duration(x) for x in ("30m", "24h", "7d", "2w", "1.5h", 0)] == [
        1800,
        86400,
        604800,
        1209600,
        5400,
        0,
    ]
    for bad in ("7 days", "h", "-1d", True, 3):
        with pytest.raises(ValueError, match="expected a duration"):
            parse_duration(bad)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("population.visit_typez", ["IP"]), r"field population\.visit_typez: unknown key"),
        (
            ("outcome.window", "30 days"),
            r"field outcome\.window: expected a duration such as 30m, 24h, 7d or 2w, got '30 days'",
        ),
        (
            ("population.visit_types", ["WARD"]),
            r"field population\.visit_types\.0: expected a visit type \(IP, OP, ER, ERIP",
        ),
        (
            ("index.anchor", "triage"),
            r"field index\.anchor: Input should be 'admission' or 'discharge', got 'triage'",
        ),
        (
            ("outcome.any_of", [{"type": "sepsis"}]),
            r"field outcome\.any_of\.0: .*'death', 'readmission'",
        ),
        (
            ("outcome.any_of", [{"type": "stay_longer_than"}]),
            r"field outcome\.any_of\.0\.duration: required key is missing",
        ),
        (
            ("index.every", "12h"),
            r"field index: .*every .* needs anchor: admission|every \(repeated index times\) needs anchor",
        ),
        (("age_bands", [65, 18]), r"age_bands must be strictly increasing"),
        (
            ("censoring.competing_death", "ignore"),
            r"field censoring\.competing_death: Input should be 'negative', 'exclude' or 'positive'",
        ),
    ],
)
def test_bad_spec_names_the_key_and_what_was_expected(
    change: tuple[str, object], message: str
) -> None:
    spec = with_change(*change)
    if change[0] == "index.every":
        spec["index"]["anchor"] = "discharge"
    with pytest.raises(InputError, match=message):
        task_from_dict(spec, place="my_task.yaml")


def test_missing_key_is_named() -> None:
    spec = {k: v for k, v in MINIMAL.items() if k != "outcome"}
    with pytest.raises(
        InputError, match=r"^my_task\.yaml, field outcome: required key is missing$"
    ):
        task_from_dict(spec, place="my_task.yaml")


def test_yaml_errors_give_the_line(tmp_path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: broken\ndescription: x\npopulation: [IP\n")
    with pytest.raises(InputError, match=r"broken\.yaml, line \d+: not valid YAML"):
        load_task(path)
    with pytest.raises(InputError, match="no such task; built-in tasks are deterioration_48h"):
        load_task("sepsis_6h")


def test_visit_types_accept_omop_concept_ids() -> None:
    task = task_from_dict(with_change("population.visit_types", ["IP", 8870]))
    assert task.population.visit_types == ["IP", 8870]
