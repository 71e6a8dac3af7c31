"""Kiwoom connections: a user's keys (encrypted), their tokens, and the one call path with them."""
