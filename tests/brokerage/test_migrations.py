"""Data migrations: what existing rows look like afterwards."""

from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from accounts.models import User
from brokerage.models import KiwoomCredential, Order, TradingProfile

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


# --- A database made at main with 0005 as its last migration, carried forward ------------------------------

AT_0005 = [("brokerage", "0005_order_note")]
# Fields of 0005 that a later migration may fold into another (0006 turns the rendered reply into `answer`).
MAY_BE_FOLDED = {"response_status", "response_body"}
ALICE_KEYS = {"app_key": "aliceAppKey0000000000000000000001", "app_secret": "aliceSecret00000000000000000001"}
BOB_KEYS = {"app_key": "bobAppKey000000000000000000000002", "app_secret": "bobSecret000000000000000000002"}


def latest(app_label):
    """The app's leaf migrations, whatever they are called by now."""
    executor = MigrationExecutor(connection)
    return [node for node in executor.loader.graph.leaf_nodes() if node[0] == app_label]


def everything(model, pk):
    """Every stored field of a row as its model reads it (secrets decrypted), by attribute name."""
    row = model.objects.get(pk=pk)
    return {field.attname: field.value_from_object(row) for field in model._meta.concrete_fields}


def make_the_0005_house(apps):
    """Users, credentials, limits and a ledger of every kind, written by the models of 0005."""
    User = apps.get_model("accounts", "User")
    KiwoomCredential = apps.get_model("brokerage", "KiwoomCredential")
    TradingProfile = apps.get_model("brokerage", "TradingProfile")
    Order = apps.get_model("brokerage", "Order")
    now = timezone.now()

    alice = User.objects.create(
        username="Alice", email="alice@example.com", password=make_password("alice-password-1")
    )
    bob = User.objects.create(
        username="bob", email="bob@example.com", password=make_password("bob-password-1")
    )
    TradingProfile.objects.create(
        user=alice, real_trading_enabled=True, max_order_quantity=500, max_order_value=20_000_000
    )
    credentials = {
        "alice": KiwoomCredential.objects.create(
            user=alice,
            mode="mock",
            **ALICE_KEYS,
            access_token="alice-token-" + "t" * 40,
            key_fingerprint="a" * 64,
            app_key_suffix=ALICE_KEYS["app_key"][-4:],
            token_expires_at=now + timedelta(hours=20),
            last_refreshed_at=now - timedelta(hours=4),
            last_refresh_attempt_at=now - timedelta(hours=4),
            last_refresh_outcome="refreshed",
        ),
        "bob-mock": KiwoomCredential.objects.create(
            user=bob,
            mode="mock",
            **BOB_KEYS,
            access_token="",  # never issued: empty stays empty, not NULL
            key_fingerprint="b" * 64,
            app_key_suffix=BOB_KEYS["app_key"][-4:],
            status="invalid",
            last_refresh_outcome="invalid_keys",
            last_error_code="8030",
            last_error_message="투자구분(실전/모의)이 맞지 않습니다",
            last_error_at=now - timedelta(minutes=3),
        ),
        "bob-real": KiwoomCredential.objects.create(
            user=bob,
            mode="real",
            app_key="bobRealKey00000000000000000000003",
            app_secret="bobRealSecret000000000000000003",
            access_token="bob-real-token",
            key_fingerprint="c" * 64,
            app_key_suffix="0003",
            status="blocked",
            token_expires_at=now - timedelta(minutes=1),
            last_refresh_outcome="same_token",
        ),
    }
    credential = credentials["alice"]
    common = {"user": alice, "credential": credential, "key_fingerprint": credential.key_fingerprint}
    rendered = {"id": None, "order_number": "0000123", "status": "accepted", "stock_code": "005930"}
    orders = {
        "accepted": Order.objects.create(
            **common,
            side="buy",
            stock_code="005930",
            stock_name="삼성전자",
            quantity=10,
            trade_type="0",
            price=70_000,
            exchange="KRX",
            status="accepted",
            kiwoom_order_number="0000123",
            kiwoom_code="0",
            kiwoom_message="정상적으로 처리되었습니다",
            modified_quantity=4,
            idempotency_key="key-accepted",
            request_fingerprint="1" * 64,
            response_status=201,
            response_body=rendered,
            sent_at=now,
            last_synced_at=now,
        ),
        "rejected": Order.objects.create(
            **common,
            side="sell",
            stock_code="000660",
            quantity=3,
            trade_type="3",
            status="rejected",
            kiwoom_code="RC4007",
            kiwoom_message="주문가능수량이 부족합니다",
            idempotency_key="key-rejected",
            request_fingerprint="2" * 64,
            response_status=422,
            response_body={
                "code": "order_rejected",
                "detail": "Kiwoom refused the order.",
                "kiwoom_code": "RC4007",
            },
            sent_at=now,
        ),
        "partially_filled": Order.objects.create(
            **common,
            side="buy",
            stock_code="035420",
            quantity=20,
            trade_type="0",
            price=180_000,
            exchange="NXT",
            status="partially_filled",
            kiwoom_order_number="0000124",
            filled_quantity=12,
            average_fill_price=179_500,
            cancelled_quantity=5,
            sent_at=now,
            last_synced_at=now,
        ),
        "unresolved": Order.objects.create(
            **common,
            side="buy",
            stock_code="005380",
            quantity=1,
            trade_type="3",
            status="unresolved",
            note="answer_lost",
            reconcile_attempts=2,
            idempotency_key="key-in-flight",  # its answer never came: nothing recorded to replay
            request_fingerprint="3" * 64,
            sent_at=now,
        ),
        "not_placed": Order.objects.create(
            **common,
            side="sell",
            stock_code="051910",
            quantity=2,
            trade_type="3",
            status="not_placed",
            note="not_found",
        ),
        "pending": Order.objects.create(
            **common, side="buy", stock_code="068270", quantity=1, trade_type="3"
        ),
        "filled": Order.objects.create(
            **common,
            side="sell",
            stock_code="005930",
            quantity=5,
            trade_type="0",
            price=71_000,
            status="filled",
            kiwoom_order_number="0000125",
            filled_quantity=5,
            average_fill_price=71_000,
        ),
        "orphan": Order.objects.create(  # its keys were disconnected since
            user=alice,
            credential=None,
            key_fingerprint="9" * 64,
            side="buy",
            stock_code="000270",
            quantity=7,
            trade_type="3",
            status="filled",
            filled_quantity=7,
            average_fill_price=95_000,
        ),
        "bob-real": Order.objects.create(  # the same idempotency key as Alice's: keys are per user
            user=bob,
            credential=credentials["bob-real"],
            key_fingerprint="c" * 64,
            mode="real",
            side="buy",
            stock_code="005930",
            quantity=1,
            trade_type="3",
            status="accepted",
            idempotency_key="key-accepted",
            request_fingerprint="4" * 64,
            response_status=201,
            response_body={"id": None, "status": "accepted"},
        ),
    }
    orders["modify"] = Order.objects.create(
        **common,
        kind="modify",
        parent=orders["accepted"],
        side="buy",
        stock_code="005930",
        quantity=4,
        trade_type="0",
        price=69_500,
        status="accepted",
        kiwoom_order_number="0000126",
        idempotency_key="key-modify",
        request_fingerprint="5" * 64,
        response_status=201,
        response_body={**rendered, "order_number": "0000126", "kind": "modify"},
    )
    orders["cancel"] = Order.objects.create(
        **common,
        kind="cancel",
        parent=orders["partially_filled"],
        side="buy",
        stock_code="035420",
        quantity=5,
        trade_type="0",
        exchange="NXT",
        status="accepted",
        kiwoom_order_number="0000127",
        idempotency_key="key-cancel",
        request_fingerprint="6" * 64,
        response_status=409,
        response_body={"code": "order_not_open", "detail": "The order is no longer open."},
    )
    return {"users": [alice.pk, bob.pk], "credentials": credentials, "orders": orders}


def test_a_database_made_at_0005_reads_back_whole_through_todays_models():
    apps = migrate([*AT_0005, *latest("accounts")])
    house = make_the_0005_house(apps)
    models_then = {
        name: apps.get_model(*name.split(".")) for name in ("accounts.User", "brokerage.TradingProfile")
    }
    before = {
        "users": {pk: everything(models_then["accounts.User"], pk) for pk in house["users"]},
        "profiles": {
            row.pk: everything(models_then["brokerage.TradingProfile"], row.pk)
            for row in models_then["brokerage.TradingProfile"].objects.all()
        },
        "credentials": {
            name: everything(apps.get_model("brokerage", "KiwoomCredential"), row.pk)
            for name, row in house["credentials"].items()
        },
        "orders": {
            name: everything(apps.get_model("brokerage", "Order"), row.pk)
            for name, row in house["orders"].items()
        },
    }
    with connection.cursor() as cursor:  # the secrets are stored encrypted, not in the clear
        cursor.execute(f"SELECT app_key, app_secret FROM {KiwoomCredential._meta.db_table}")
        stored = {value for row in cursor.fetchall() for value in row}
    assert not stored & {*ALICE_KEYS.values(), *BOB_KEYS.values()}

    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    folded = set()
    for kind, model in [
        ("users", User),
        ("profiles", TradingProfile),
        ("credentials", KiwoomCredential),
        ("orders", Order),
    ]:
        now_fields = {field.attname for field in model._meta.concrete_fields}
        for name, then in before[kind].items():
            now = everything(model, then["id"])
            folded |= then.keys() - now_fields
            assert {attname: now[attname] for attname in then.keys() & now_fields} == {
                attname: then[attname] for attname in then.keys() & now_fields
            }, f"{kind} {name}"
    assert folded <= MAY_BE_FOLDED, f"columns of 0005 dropped: {folded - MAY_BE_FOLDED}"

    # Read back as the site reads them: keys decrypt, passwords still sign in, the tree of changes holds.
    credentials, orders = house["credentials"], house["orders"]
    alice_credential = KiwoomCredential.objects.get(pk=credentials["alice"].pk)
    assert (alice_credential.app_key, alice_credential.app_secret) == tuple(ALICE_KEYS.values())
    assert alice_credential.access_token == "alice-token-" + "t" * 40
    assert KiwoomCredential.objects.get(pk=credentials["bob-mock"].pk).app_secret == BOB_KEYS["app_secret"]
    assert KiwoomCredential.objects.get(pk=credentials["bob-mock"].pk).access_token == ""
    assert User.objects.get(username="Alice").check_password("alice-password-1")
    assert User.objects.get(username="bob").check_password("bob-password-1")
    assert TradingProfile.objects.get(user__username="Alice").max_order_value == 20_000_000
    assert Order.objects.get(pk=orders["modify"].pk).parent_id == orders["accepted"].pk
    assert list(
        Order.objects.get(pk=orders["partially_filled"].pk).children.values_list("kind", flat=True)
    ) == ["cancel"]
    assert Order.objects.filter(user__username="Alice").count() == 10
    assert Order.objects.filter(idempotency_key="key-accepted").count() == 2
    with pytest.raises(IntegrityError), transaction.atomic():  # one order per user and key, still
        Order.objects.create(
            user_id=house["users"][0],
            side="buy",
            stock_code="005930",
            quantity=1,
            trade_type="3",
            idempotency_key="key-accepted",
        )

    # What an idempotency key replays: as it was, or carried into whatever holds it now, never lost.
    answered = {name for name, then in before["orders"].items() if then["response_status"] is not None}
    assert answered == {"accepted", "rejected", "bob-real", "modify", "cancel"}
    if "response_status" in {field.name for field in Order._meta.fields}:
        for name in answered:
            order = Order.objects.get(pk=orders[name].pk)
            then = before["orders"][name]
            assert (order.response_status, order.response_body) == (
                then["response_status"],
                then["response_body"],
            )
    if "answer" in {field.name for field in Order._meta.fields}:
        for name, then in before["orders"].items():
            answer = Order.objects.get(pk=then["id"]).answer
            assert (answer is not None) == (name in answered), name
