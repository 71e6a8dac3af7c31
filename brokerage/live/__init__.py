"""Live streams (issue 14): one Kiwoom WebSocket per credential, leased across processes, fanned out."""
