"""Candles as values: a finished trading day (`DayBar`) and a minute (`MinuteBar`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from .clock import KST


@dataclass(frozen=True, slots=True)
class DayBar:
    """One finished trading day of a stock (or of an index, in hundredths of a point)."""

    date: date
    open: int
    high: int
    low: int
    close: int
    volume: int


@dataclass(frozen=True, slots=True)
class MinuteBar:
    minute: int  # minutes since the epoch (the bar's start)
    open: int
    high: int
    low: int
    close: int
    volume: int

    @property
    def start(self) -> datetime:
        return datetime.fromtimestamp(self.minute * 60, KST)
