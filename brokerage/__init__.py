"""Brokerage: the Kiwoom client (`kiwoom`) and the domains built on it (`connections`, `portfolio`, `market`,
`orders`); the modules at this level only gather the domains for Django and Celery."""
