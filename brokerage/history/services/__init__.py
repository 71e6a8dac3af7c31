"""The history domain's services."""

from brokerage.history.services.snapshots import (
    SweepOutcome,
    SweepPlan,
    snapshot_day_for,
    snapshot_take,
    snapshots_intraday_prune,
    snapshots_sweep,
    snapshots_take_many,
)

__all__ = [
    "SweepOutcome",
    "SweepPlan",
    "snapshot_day_for",
    "snapshot_take",
    "snapshots_intraday_prune",
    "snapshots_sweep",
    "snapshots_take_many",
]
