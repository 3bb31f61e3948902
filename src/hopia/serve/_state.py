"""What a running service holds: its configuration, the app database and warehouse handles.

Examples
--------
>>> config = ServeConfig(warehouse_url="duckdb:///nowhere.duckdb", app_db_url="sqlite://",
...                      models_dir="models")
>>> ServeState(config).config.secure_cookies
True
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hopia.serve._access import access_store
from hopia.serve.db import open_app_db
from hopia.settings import Settings, get_settings
from hopia.warehouse import Warehouse, WarehouseURL, open_warehouse

log = logging.getLogger("hopia.serve")


class WarehouseUnavailable(Exception):
    """No warehouse can be opened (none loaded yet, or the engine is down)."""


@dataclass
class ServeConfig:
    """Settings of one service instance.

    Parameters
    ----------
    warehouse_url
        The warehouse, opened read-only.
    app_db_url
        SQLAlchemy URL of the users/tokens/audit database.
    models_dir
        Root of the model registry.
    min_cell
        Published counts below this are masked.
    secure_cookies
        Set the ``Secure`` flag on cookies (turn off only for plain-HTTP tests on loopback).
    max_body_bytes
        Larger request bodies are refused with 413.
    key
        Key for CSRF tokens (random per process when not given).
    model_source
        Gives the models to serve (default: the registry under ``models_dir``).
    """

    warehouse_url: str
    app_db_url: str
    models_dir: Path | str
    min_cell: int = 10
    secure_cookies: bool = True
    max_body_bytes: int = 5 * 1024 * 1024
    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    model_source: Callable[[], Sequence[Any]] | None = None

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **overrides: object) -> ServeConfig:
        """Configuration from the ``HOPIA_*`` settings, with keyword overrides."""
        settings = settings or get_settings()
        values: dict[str, object] = {
            "warehouse_url": settings.warehouse_url,
            "app_db_url": settings.app_db_url,
            "models_dir": settings.models_dir,
            "min_cell": settings.min_cell,
        }
        if settings.secret:
            values["key"] = settings.secret.encode()
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]


_CACHES: dict[tuple[str, tuple[int, int] | None], dict[Any, Any]] = {}
_CACHES_LOCK = threading.Lock()


class WarehousePool:
    """Read-only warehouse connections lent to one request at a time.

    A DuckDB connection must not be used by two threads at once, and FastAPI may run a
    request's dependencies and its endpoint on different threads, so a connection is checked
    out for the whole request and returned afterwards (they share one database instance
    inside DuckDB). A DuckDB file replaced by a new load (atomic swap) is noticed by its inode
    and modification time, and stale connections are closed.
    """

    def __init__(self, url: str, max_idle: int = 8) -> None:
        self.url = url
        self.max_idle = max_idle
        self._idle: list[tuple[tuple[int, int] | None, Warehouse]] = []
        self._lent: dict[int, tuple[int, int] | None] = {}
        self._lock = threading.Lock()

    def _stamp(self) -> tuple[int, int] | None:
        parsed = WarehouseURL.parse(self.url)
        if parsed.engine != "duckdb" or parsed.target == ":memory:":
            return None
        try:
            stat = os.stat(parsed.path)
        except OSError as error:
            raise WarehouseUnavailable("no warehouse is loaded yet") from error
        return (stat.st_ino, stat.st_mtime_ns)

    def lend(self, *, open_new: bool = True) -> Warehouse | None:
        """A connection for one request, to hand back with :meth:`give_back`: an idle one of
        the current warehouse version, else a new one (``None`` instead when ``open_new`` is
        false: opening one takes a while, callers on an event loop do it in a thread)."""
        stamp = self._stamp()
        warehouse: Warehouse | None = None
        stale: list[Warehouse] = []
        with self._lock:
            while self._idle and warehouse is None:
                idle_stamp, candidate = self._idle.pop()
                if idle_stamp == stamp:
                    warehouse = candidate
                else:
                    stale.append(candidate)
        for old in stale:
            old.close()
        if warehouse is None:
            if not open_new:
                return None
            try:
                warehouse = open_warehouse(self.url, read_only=True)
            except Exception as error:
                raise WarehouseUnavailable("the warehouse cannot be opened") from error
        with self._lock:
            self._lent[id(warehouse)] = stamp
        return warehouse

    def give_back(self, warehouse: Warehouse) -> None:
        """Return a connection from :meth:`lend` (kept idle, or closed past ``max_idle``)."""
        with self._lock:
            stamp = self._lent.pop(id(warehouse), None)
            keep = len(self._idle) < self.max_idle
            if keep:
                self._idle.append((stamp, warehouse))
        if not keep:
            warehouse.close()

    @contextmanager
    def checkout(self) -> Iterator[Warehouse]:
        """Lend a connection for the duration of the ``with`` block."""
        warehouse = self.lend()
        assert warehouse is not None  # (open_new)
        try:
            yield warehouse
        finally:
            self.give_back(warehouse)

    def cache_of(self, warehouse: Warehouse) -> dict[Any, Any]:
        """A cache shared by the connections to the same warehouse version (compiled SQL,
        concept names…), dropped when a new version is loaded."""
        with self._lock:
            stamp = self._lent.get(id(warehouse))
        key = (self.url, stamp)
        with _CACHES_LOCK:
            if key not in _CACHES:
                for old in [k for k in _CACHES if k[0] == self.url]:
                    del _CACHES[old]
                _CACHES[key] = {}
            return _CACHES[key]

    def close(self) -> None:
        """Close every idle connection."""
        with self._lock:
            idle, self._idle = self._idle, []
        for _, warehouse in idle:
            warehouse.close()


class ServeState:
    """Shared objects of a service: configuration, app database (``access``: the token check
    and audit write of API requests), warehouse pool."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self.engine, self.sessions = open_app_db(config.app_db_url)
        self.access = access_store(self.engine, self.sessions)
        self.warehouses = WarehousePool(config.warehouse_url)
        self._models: list[Any] | None = None
        self._models_lock = threading.Lock()
        self.warmed = threading.Event()

    def models(self) -> list[Any]:
        """The served models (:class:`~hopia.serve._scoring.RegisteredModel`), loaded once."""
        if self._models is None:
            with self._models_lock:
                if self._models is None:
                    from hopia.serve._scoring import registry_models

                    source = self.config.model_source or (
                        lambda: registry_models(self.config.models_dir)
                    )
                    self._models = list(source())
        return self._models

    def warm_up(self) -> None:
        """Score every person's latest row for the latest model of each task, before anyone
        asks (``create_app`` runs this in a background thread at start-up): the first
        patient page then finds its risks ready. A request that comes meanwhile waits for
        the same batch rather than starting its own. Sets :attr:`warmed` when done; a
        missing warehouse or a model that cannot be scored is left for requests to report.
        """
        from hopia.serve._scoring import latest, latest_scores

        try:
            models = self.models()
            with self.warehouses.checkout() as wh:
                cache = self.warehouses.cache_of(wh)
                for task in sorted({model.task for model in models}):
                    model = latest(models, task)
                    if model is not None:
                        latest_scores(wh, model, cache)
        except Exception as error:  # requests report their own errors
            log.info("warm-up stopped early (%s)", type(error).__name__)
        finally:
            self.warmed.set()

    def close(self) -> None:
        """Release connections."""
        self.warehouses.close()
        self.engine.dispose()
