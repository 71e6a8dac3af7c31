"""Public market data shared between users: quotes, the tick grid, stock names."""
