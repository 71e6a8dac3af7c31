"""Order reconciliation tasks."""
