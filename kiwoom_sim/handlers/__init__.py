"""TR handlers by area, and the registry that maps each `api-id` to its path and handler."""

from __future__ import annotations

from . import acnt, chart, mrkcond, oauth, orderable, ordr, pnl, stkinfo
from .common import Call, TrResult, TrSpec

TR_REGISTRY: dict[str, TrSpec] = {
    spec.api_id: spec
    for module in (oauth, acnt, ordr, stkinfo, pnl, mrkcond, chart, orderable)
    for spec in module.TRS
}
OAUTH_PATHS: dict[str, str] = {
    spec.path: spec.api_id for spec in TR_REGISTRY.values() if not spec.needs_token
}

__all__ = ["OAUTH_PATHS", "TR_REGISTRY", "Call", "TrResult", "TrSpec"]
