from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """StockLab's user; custom from the first migration so that it can grow without a painful swap."""
