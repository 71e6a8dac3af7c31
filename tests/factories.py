"""Factories for the models; Kiwoom-backed objects come from the simulator through the services instead."""

from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import User
from brokerage.connections.models import KiwoomCredential, Mode
from brokerage.connections.services.credentials import app_key_fingerprint, key_fingerprint
from brokerage.orders.models import Order

PASSWORD = "a-long-and-unusual-passphrase-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"investor{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(self, create, extracted, **kwargs):
        if create:
            self.save()


class KiwoomCredentialFactory(factory.django.DjangoModelFactory):
    """A stored credential without a round trip to Kiwoom (for tests of storage and display only)."""

    class Meta:
        model = KiwoomCredential

    user = factory.SubFactory(UserFactory)
    mode = Mode.MOCK
    app_key = factory.Sequence(lambda n: f"appKey{n:028d}WXYZ")
    app_secret = factory.Sequence(lambda n: f"secret{n:026d}")
    access_token = factory.Sequence(lambda n: f"token-{n:080d}")
    key_fingerprint = factory.LazyAttribute(
        lambda c: key_fingerprint(app_key=c.app_key, app_secret=c.app_secret)
    )
    app_key_fingerprint = factory.LazyAttribute(lambda c: app_key_fingerprint(c.app_key))
    app_key_suffix = factory.LazyAttribute(lambda c: c.app_key[-4:])
    token_expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=23))
    last_refreshed_at = factory.LazyFunction(timezone.now)


class OrderFactory(factory.django.DjangoModelFactory):
    """A ledger entry as written before sending (for reads; orders themselves go through the services)."""

    class Meta:
        model = Order

    credential = factory.SubFactory(KiwoomCredentialFactory)
    user = factory.SelfAttribute("credential.user")
    key_fingerprint = factory.SelfAttribute("credential.key_fingerprint")
    side = "buy"
    stock_code = "005930"
    quantity = 1
    trade_type = "3"
