"""Daily snapshots across simulated days: once per trading day, none on closing days, missed days filled or
marked as gaps; intraday points; deposits told apart from returns."""

from datetime import date
from types import SimpleNamespace

import pytest
import time_machine

from brokerage import kiwoom
from brokerage.history.models import AccountSnapshot, SnapshotKind, SnapshotStatus
from brokerage.history.services import snapshot_day_for, snapshots_sweep, snapshots_take_many
from brokerage.history.services import snapshots as snapshots_module
from tests.brokerage.history.conftest import kst
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

TUE, WED, THU, CHRISTMAS, SAT, SUN, MON = (date(2026, 12, d) for d in (22, 23, 24, 25, 26, 27, 28))


def sweep_at(moment, *, intraday: bool = False):
    """One run of the beat's sweep at `moment`, its chunks taken in this process."""
    with time_machine.travel(moment, tick=False):
        plan = snapshots_sweep(intraday=intraday)
        for chunk in plan.chunks:
            snapshots_take_many(credential_ids=chunk, day=plan.day, slot=plan.slot)
        return plan


def daily(user, status=SnapshotStatus.OK):
    rows = AccountSnapshot.objects.filter(user=user, kind=SnapshotKind.DAILY, status=status)
    return list(rows.order_by("date").values_list("date", flat=True))


class TestSnapshotDay:
    @pytest.mark.parametrize(
        ("moment", "expected"),
        [
            (kst(WED, 15, 40), WED),  # the close is seen
            (kst(WED, 12, 0), None),  # the session is open
            (kst(WED, 8, 29), TUE),  # before the first session, yesterday's close still stands
            (kst(CHRISTMAS, 15, 45), THU),  # a closing day shows the last trading day
            (kst(SUN, 12, 0), THU),
            (kst(MON, 7, 10), THU),
        ],
    )
    def test_which_close_an_account_shows(self, moment, expected):
        assert snapshot_day_for(moment) == expected


class TestDailySweep:
    def test_one_snapshot_per_trading_day_none_on_holidays_and_weekends(self, connected, user):
        for day in (TUE, WED, THU, CHRISTMAS, SAT, SUN, MON):
            sweep_at(kst(day, 15, 40))
            sweep_at(kst(day, 18, 10))  # the catch-up run finds nothing left to take

        assert daily(user) == [TUE, WED, THU, MON]
        assert daily(user, SnapshotStatus.GAP) == []
        snapshot = AccountSnapshot.objects.get(user=user, date=MON)
        assert snapshot.estimated_assets == snapshot.deposit + snapshot.holdings_value
        assert {h.stock_code for h in snapshot.holdings.all()} == {"005930", "000660", "035420"}

    def test_a_missed_close_is_filled_before_the_next_session(self, connected, user, kiwoom):
        sweep_at(kst(TUE, 15, 40))
        # Wednesday's 15:40 run never happened (site down); Thursday's morning catch-up still sees it.
        plan = sweep_at(kst(THU, 7, 10))

        assert plan.day == WED
        assert daily(user) == [TUE, WED]

    def test_a_close_missed_until_the_next_session_is_marked_as_a_gap(self, connected, user, kiwoom):
        sweep_at(kst(TUE, 15, 40))
        kiwoom.control.inject_fault("http_5xx", api_id="kt00018", count=10)
        sweep_at(kst(WED, 15, 40))  # Kiwoom down: nothing taken
        kiwoom.control.clear_faults()
        assert daily(user) == [TUE]

        sweep_at(kst(THU, 15, 40))  # Wednesday's window has passed

        assert daily(user) == [TUE, THU]
        assert daily(user, SnapshotStatus.GAP) == [WED]

    @pytest.mark.parametrize("status", ["blocked", "invalid"])
    def test_credentials_kiwoom_refuses_are_not_swept(self, connected, user, kiwoom, status):
        from brokerage.connections.models import KiwoomCredential

        KiwoomCredential.objects.filter(user=user).update(status=status)
        before = kiwoom.control.stats()["calls"].get("kt00018", 0)

        plan = sweep_at(kst(TUE, 15, 40))

        assert not plan.chunks and daily(user) == []
        assert kiwoom.control.stats()["calls"].get("kt00018", 0) == before

    def test_a_sweep_in_the_session_does_nothing(self, connected, user, kiwoom):
        plan = sweep_at(kst(WED, 11, 0))
        assert plan.day is None and daily(user) == []


class TestIntraday:
    def test_points_every_ten_minutes_while_the_market_is_open(self, connected, user):
        for hour, minute in ((9, 0), (9, 5), (9, 10), (15, 30), (15, 40)):
            sweep_at(kst(WED, hour, minute), intraday=True)
        sweep_at(kst(SAT, 10, 0), intraday=True)

        points = AccountSnapshot.objects.filter(user=user, kind=SnapshotKind.INTRADAY).order_by("taken_at")
        assert [p.taken_at for p in points] == [kst(WED, 9, 0), kst(WED, 9, 10), kst(WED, 15, 30)]


def _fake_account(*, deposit: int, holdings_value: int):
    summary = kiwoom.BalanceSummary(
        total_purchase=holdings_value,
        total_evaluation=holdings_value,
        total_profit_loss=0,
        total_return_rate=0,
        estimated_deposit_asset=deposit + holdings_value,
    )
    balance = kiwoom.Balance(summary=summary, holdings=())
    cash = kiwoom.Deposit(
        deposit=deposit, orderable_amount=deposit, withdrawable_amount=deposit, d2_deposit=deposit
    )
    return [balance, cash]


class TestNetFlow:
    """Deposits and withdrawals: the D+2 deposit's change that the ledger's fills do not explain."""

    @pytest.fixture
    def account(self, monkeypatch, user, settings):
        from tests.factories import KiwoomCredentialFactory

        settings.HISTORY_COSTS = {
            "mock": {"commission_rate": "0.0035", "sell_tax_rate": "0.0020"},
            "real": {"commission_rate": "0.00015", "sell_tax_rate": "0.0020"},
        }
        credential = KiwoomCredentialFactory(user=user)
        state = SimpleNamespace(answer=None)
        monkeypatch.setattr(snapshots_module, "account_fetch", lambda **kwargs: state.answer)
        return SimpleNamespace(credential=credential, state=state)

    def take(self, account, day, **amounts):
        account.state.answer = _fake_account(**amounts)
        with time_machine.travel(kst(day, 15, 45), tick=False):
            return snapshots_module.snapshot_take(credential_id=account.credential.pk, day=day)

    def test_a_deposit_is_a_flow_and_a_trade_is_not(self, account, user):
        self.take(account, TUE, deposit=1_000_000, holdings_value=0)
        with time_machine.travel(kst(WED, 10), tick=False):
            OrderFactory(
                credential=account.credential,
                side="buy",
                quantity=10,
                filled_quantity=10,
                average_fill_price=10_000,
                status="filled",
            )
        # Bought 100,000 + 350 commission, and 500,000 came in.
        wednesday = self.take(account, WED, deposit=1_000_000 - 100_350 + 500_000, holdings_value=100_000)
        # Only a few won of rounding against Kiwoom's own fees: no flow.
        thursday = self.take(account, THU, deposit=1_399_650 - 40, holdings_value=101_000)

        assert wednesday.net_flow == 500_000
        assert thursday.net_flow == 0

    def test_a_withdrawal_is_negative(self, account, user):
        self.take(account, TUE, deposit=1_000_000, holdings_value=0)
        assert self.take(account, WED, deposit=700_000, holdings_value=0).net_flow == -300_000


@pytest.mark.django_db(transaction=True)
def test_the_sweep_takes_accounts_in_parallel_threads(kiwoom, settings):
    """Several accounts at once, each thread with its own database connection (closed when it is done)."""
    import time

    from django.db import connection

    def backends() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
            return cursor.fetchone()[0]

    from tests.conftest import bearer_client
    from tests.factories import UserFactory

    settings.HISTORY_SWEEP_THREADS = 4
    users = [UserFactory() for _ in range(6)]
    for number, user in enumerate(users):
        keys = {"app_key": f"threadKey{number:024d}", "app_secret": f"threadSecret{number:020d}"}
        assert bearer_client(user).post("/api/v1/kiwoom/credentials", keys, format="json").status_code == 201
    before = backends()

    plan = sweep_at(kst(WED, 15, 40))

    assert sum(len(chunk) for chunk in plan.chunks) == 6
    assert sorted(daily(user) for user in users) == [[WED]] * 6
    deadline = time.monotonic() + 5
    while backends() > before and time.monotonic() < deadline:
        time.sleep(0.05)  # a closed connection's backend ends a moment later
    assert backends() <= before
