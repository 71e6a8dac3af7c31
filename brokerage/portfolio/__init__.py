"""The account: balance and holdings (snapshots and P&L come next)."""
