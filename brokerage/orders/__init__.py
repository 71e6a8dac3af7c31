"""The order ledger: guardrails, idempotency, placing and changing orders, sync and reconciliation."""
