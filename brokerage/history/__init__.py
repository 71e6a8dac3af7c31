"""The account over time (issue 16): daily snapshots, realized P&L, the trade journal, history and exports."""
