"""Patient pathways in the engine: event logs, pathway maps, variants, durations, conformance,
bed occupancy.

Every analysis is one Ibis expression over an event log (see :mod:`hopia.pathways._log` for
its columns), so it runs where the data is — DuckDB by default, Spark or PostgreSQL too.

Examples
--------
>>> import datetime as dt, ibis
>>> from hopia.pathways import order_events, directly_follows, variants
>>> t0 = dt.datetime(2024, 1, 1, 8)
>>> log = order_events(ibis.memtable({
...     "case_id": ["A", "A", "B", "B"], "activity": ["ED", "Ward", "ED", "ICU"],
...     "time": [t0, t0 + dt.timedelta(hours=3), t0, t0 + dt.timedelta(hours=1)],
...     "source_row": [0, 1, 2, 3]}))
>>> variants(log).execute()[["variant", "cases"]].values.tolist()
[['ED,ICU', 1], ['ED,Ward', 1]]
"""

from typing import TYPE_CHECKING

from hopia._lazy import lazy_exports

if TYPE_CHECKING:
    from hopia.pathways._conformance import (
        ReferencePathway,
        Step,
        TimeTarget,
        check_conformance,
        conformance_rates,
        load_pathway,
    )
    from hopia.pathways._discovery import (
        activity_codes,
        case_variants,
        directly_follows,
        end_activities,
        exact_quantiles,
        log_summary,
        start_activities,
        variant_directly_follows,
        variants,
    )
    from hopia.pathways._durations import duration_summary, rework, sojourn_times, throughput_times
    from hopia.pathways._export import dfg_to_dot, export_csv, export_xes
    from hopia.pathways._filters import (
        filter_activity,
        filter_attribute,
        filter_cases,
        filter_period,
        filter_top_variants,
        filter_unit,
        filter_variants,
    )
    from hopia.pathways._import import import_log, read_event_file
    from hopia.pathways._log import LOG_COLUMNS, order_events, read_log, write_log
    from hopia.pathways._occupancy import (
        CensusForecast,
        forecast_census,
        hourly_census,
        stays_from_log,
        stays_from_warehouse,
    )
    from hopia.pathways._warehouse_log import ActivityRule, load_activity_rules, warehouse_log

_EXPORTS = {
    "LOG_COLUMNS": "hopia.pathways._log",
    "ActivityRule": "hopia.pathways._warehouse_log",
    "CensusForecast": "hopia.pathways._occupancy",
    "ReferencePathway": "hopia.pathways._conformance",
    "Step": "hopia.pathways._conformance",
    "TimeTarget": "hopia.pathways._conformance",
    "activity_codes": "hopia.pathways._discovery",
    "case_variants": "hopia.pathways._discovery",
    "check_conformance": "hopia.pathways._conformance",
    "conformance_rates": "hopia.pathways._conformance",
    "dfg_to_dot": "hopia.pathways._export",
    "directly_follows": "hopia.pathways._discovery",
    "duration_summary": "hopia.pathways._durations",
    "end_activities": "hopia.pathways._discovery",
    "exact_quantiles": "hopia.pathways._discovery",
    "export_csv": "hopia.pathways._export",
    "export_xes": "hopia.pathways._export",
    "filter_activity": "hopia.pathways._filters",
    "filter_attribute": "hopia.pathways._filters",
    "filter_cases": "hopia.pathways._filters",
    "filter_period": "hopia.pathways._filters",
    "filter_top_variants": "hopia.pathways._filters",
    "filter_unit": "hopia.pathways._filters",
    "filter_variants": "hopia.pathways._filters",
    "forecast_census": "hopia.pathways._occupancy",
    "hourly_census": "hopia.pathways._occupancy",
    "import_log": "hopia.pathways._import",
    "load_activity_rules": "hopia.pathways._warehouse_log",
    "load_pathway": "hopia.pathways._conformance",
    "log_summary": "hopia.pathways._discovery",
    "order_events": "hopia.pathways._log",
    "read_event_file": "hopia.pathways._import",
    "read_log": "hopia.pathways._log",
    "rework": "hopia.pathways._durations",
    "sojourn_times": "hopia.pathways._durations",
    "start_activities": "hopia.pathways._discovery",
    "stays_from_log": "hopia.pathways._occupancy",
    "stays_from_warehouse": "hopia.pathways._occupancy",
    "throughput_times": "hopia.pathways._durations",
    "variant_directly_follows": "hopia.pathways._discovery",
    "variants": "hopia.pathways._discovery",
    "warehouse_log": "hopia.pathways._warehouse_log",
    "write_log": "hopia.pathways._log",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = [
    "LOG_COLUMNS",
    "ActivityRule",
    "CensusForecast",
    "ReferencePathway",
    "Step",
    "TimeTarget",
    "activity_codes",
    "case_variants",
    "check_conformance",
    "conformance_rates",
    "dfg_to_dot",
    "directly_follows",
    "duration_summary",
    "end_activities",
    "exact_quantiles",
    "export_csv",
    "export_xes",
    "filter_activity",
    "filter_attribute",
    "filter_cases",
    "filter_period",
    "filter_top_variants",
    "filter_unit",
    "filter_variants",
    "forecast_census",
    "hourly_census",
    "import_log",
    "load_activity_rules",
    "load_pathway",
    "log_summary",
    "order_events",
    "read_event_file",
    "read_log",
    "rework",
    "sojourn_times",
    "start_activities",
    "stays_from_log",
    "stays_from_warehouse",
    "throughput_times",
    "variant_directly_follows",
    "variants",
    "warehouse_log",
    "write_log",
]
