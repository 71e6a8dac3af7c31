"""Data migrations: what existing rows look like afterwards."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("brokerage", "0003_verbose_names")]
AFTER = [("brokerage", "0004_order_key_fingerprint")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture(autouse=True)
def back_to_the_latest():
    """The tests that follow need every migration applied again."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_existing_orders_take_the_keys_their_credential_holds():
    apps = migrate(BEFORE)
    User = apps.get_model("accounts", "User")
    KiwoomCredential = apps.get_model("brokerage", "KiwoomCredential")
    Order = apps.get_model("brokerage", "Order")
    user = User.objects.create(username="before-0004")
    credential = KiwoomCredential.objects.create(
        user=user, app_key="k" * 32, app_secret="s" * 32, key_fingerprint="f" * 64, app_key_suffix="kkkk"
    )
    fields = {"user": user, "side": "buy", "stock_code": "005930", "quantity": 1, "trade_type": "3"}
    kept = Order.objects.create(credential=credential, **fields)
    orphan = Order.objects.create(credential=None, **fields)  # its keys were disconnected

    apps = migrate(AFTER)

    Order = apps.get_model("brokerage", "Order")
    assert Order.objects.get(pk=kept.pk).key_fingerprint == "f" * 64
    assert Order.objects.get(pk=orphan.pk).key_fingerprint == ""
