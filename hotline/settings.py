"""All configuration in one place, read from ``HOTLINE_*`` environment variables."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _xdg(var: str, fallback: str) -> Path:
    return Path(os.environ.get(var) or Path.home() / fallback) / "hotline"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOTLINE_", extra="ignore")

    data_dir: Path = Field(default_factory=lambda: _xdg("XDG_DATA_HOME", ".local/share"))
    # Empty means SQLite in the data directory.
    database_url: str = ""
    cache_dir: Path = Field(default_factory=lambda: _xdg("XDG_CACHE_HOME", ".cache"))
    threads: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, le=256)
    encoder_backend: Literal["onnx", "torch"] = "onnx"
    encoder_precision: Literal["fp32", "bf16"] = "fp32"
    encoder_max_length: int = Field(default=256, ge=16, le=512)
    # The centre's own department directory (units.csv + regions.csv); empty: the demo city.
    directory_dir: Path | None = None
    # Holidays and make-up workdays (CSV date,kind); empty: weekends only.
    calendar_file: Path | None = None
    timezone: str = "Asia/Shanghai"
    rating_default_days: int = Field(default=7, ge=1, le=90)
    timer_interval: int = Field(default=60, ge=0, le=3600)  # seconds; 0: timers off
    # First start: demo logins (random passwords unless demo_password is set) and demo cases.
    demo_data: bool = True
    demo_password: str | None = Field(default=None, min_length=8)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

    @field_validator("data_dir", "cache_dir", "directory_dir", "calendar_file")
    @classmethod
    def _expand(cls, path: Path | None) -> Path | None:
        return path.expanduser() if path else None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, zone: str) -> str:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {zone!r} (e.g. Asia/Shanghai)") from None
        return zone

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'hotline.db'}"

    @property
    def kb_dir(self) -> Path:
        return self.data_dir / "kb"

    def encoder_options(self) -> dict:
        return {
            "threads": self.threads,
            "backend": self.encoder_backend,
            "precision": self.encoder_precision,
            "max_length": self.encoder_max_length,
        }


@cache
def get_settings() -> Settings:
    return Settings()
