"""Token lifecycle tasks."""
