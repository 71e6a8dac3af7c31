from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """StockLab's user; custom from the first migration so that it can grow without a painful swap."""

    class Meta(AbstractUser.Meta):
        constraints = [
            # "Minji" and "minji" are one person: sign-up checks this, and the database holds to it when two
            # sign-ups race past that check.
            models.UniqueConstraint(
                Lower("username"),
                name="accounts_user_username_ci_unique",
                violation_error_message=_("That username is already taken."),
            ),
        ]
