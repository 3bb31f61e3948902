"""One settings object for the whole workbench, read from ``HOPIA_*`` variables.

Examples
--------
>>> from hopia.settings import Settings
>>> Settings(min_cell=5).min_cell
5
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime settings; every field can be set by ``HOPIA_<FIELD>`` (upper case)."""

    model_config = SettingsConfigDict(env_prefix="HOPIA_", extra="ignore")

    data_dir: Path = Field(
        default=Path("hopia-data"), description="Root of every file hopia writes."
    )
    warehouse: str | None = Field(
        default=None,
        description="Warehouse URL: duckdb:///path.duckdb, spark-local, postgres://… "
        "(default: duckdb:///<data_dir>/warehouse.duckdb).",
    )
    app_db: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the application database (users, tokens, audit).",
    )
    min_cell: int = Field(default=10, ge=1, description="Published counts below this are masked.")
    threads: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1)
    secret: str | None = Field(default=None, description="Key for HMAC pseudonyms.")
    secret_file: Path | None = None
    seed: int = 42

    @property
    def warehouse_url(self) -> str:
        """The warehouse URL, defaulting to a DuckDB file under ``data_dir``."""
        return self.warehouse or f"duckdb:///{self.data_dir / 'warehouse.duckdb'}"

    @property
    def app_db_url(self) -> str:
        """The application database URL, defaulting to SQLite under ``data_dir``."""
        return self.app_db or f"sqlite:///{self.data_dir / 'app.sqlite'}"

    @property
    def models_dir(self) -> Path:
        """Root of the model registry."""
        return self.data_dir / "models"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once from the environment)."""
    return Settings()
