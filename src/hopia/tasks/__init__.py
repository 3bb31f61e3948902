"""Prediction tasks: declarative specs (YAML), built-in tasks, labels and attrition.

A task is data: which stays, when the prediction is made, what the outcome is and over which
window, how censoring works, and which subgroup columns to keep. ``build_labels`` turns a
task and a warehouse into labelled rows (a lazy Ibis table, the same on DuckDB and Spark)
and an attrition table.

Examples
--------
>>> from hopia.tasks import list_tasks, load_task
>>> list_tasks()
['deterioration_48h', 'ed_admission', 'inhospital_mortality', 'long_stay_7d', 'readmission_30d']
>>> load_task("readmission_30d").outcome.window
2592000
"""

from typing import TYPE_CHECKING

from hopia._lazy import lazy_exports

if TYPE_CHECKING:
    from hopia.tasks._cohort import care_units, persons, seen_at, stays
    from hopia.tasks._labels import LabelSet, build_labels, index_outside_observation
    from hopia.tasks._spec import (
        Censoring,
        IcuUnits,
        IndexTime,
        Outcome,
        Population,
        TaskSpec,
        format_duration,
        list_tasks,
        load_task,
        parse_duration,
        task_from_dict,
    )

_EXPORTS = {
    "Censoring": "hopia.tasks._spec",
    "IcuUnits": "hopia.tasks._spec",
    "IndexTime": "hopia.tasks._spec",
    "LabelSet": "hopia.tasks._labels",
    "Outcome": "hopia.tasks._spec",
    "Population": "hopia.tasks._spec",
    "TaskSpec": "hopia.tasks._spec",
    "build_labels": "hopia.tasks._labels",
    "care_units": "hopia.tasks._cohort",
    "format_duration": "hopia.tasks._spec",
    "index_outside_observation": "hopia.tasks._labels",
    "list_tasks": "hopia.tasks._spec",
    "load_task": "hopia.tasks._spec",
    "parse_duration": "hopia.tasks._spec",
    "persons": "hopia.tasks._cohort",
    "seen_at": "hopia.tasks._cohort",
    "stays": "hopia.tasks._cohort",
    "task_from_dict": "hopia.tasks._spec",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = [
    "Censoring",
    "IcuUnits",
    "IndexTime",
    "LabelSet",
    "Outcome",
    "Population",
    "TaskSpec",
    "build_labels",
    "care_units",
    "format_duration",
    "index_outside_observation",
    "list_tasks",
    "load_task",
    "parse_duration",
    "persons",
    "seen_at",
    "stays",
    "task_from_dict",
]
