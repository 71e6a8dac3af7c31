"""`--demo-keys`: a new user of the demo makes up keys of a documented shape and gets an account."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import requests

from kiwoom_sim.__main__ import build_parser
from kiwoom_sim.state import EXAMPLE_DEMO_KEY, EXAMPLE_DEMO_SECRET, is_demo_key_pair
from kiwoom_sim.testing import running_simulator

from .conftest import START, Kiwoom
from .test_sim_cli import ROOT, free_port

AUTH_FAILED = "인증에 실패했습니다[8001:"


@pytest.fixture(scope="module")
def demo_server():
    with running_simulator(demo_keys=True, start_time=START, freeze_clock=True, rate_limit=1000) as handle:
        yield handle


@pytest.fixture
def demo(demo_server) -> Iterator[Kiwoom]:
    demo_server.control.reset()
    client = Kiwoom(demo_server)
    yield client
    client.http.close()


class TestTheShape:
    @pytest.mark.parametrize(
        ("app_key", "secret"),
        [
            ("sim" + "a" * 17, "s" * 20),  # the shortest of both
            ("sim" + "Z9" * 30 + "x", "!~" * 32),  # the longest: 64 and 64
            (EXAMPLE_DEMO_KEY, EXAMPLE_DEMO_SECRET),
        ],
    )
    def test_accepted(self, app_key, secret):
        assert is_demo_key_pair(app_key, secret)

    @pytest.mark.parametrize(
        ("app_key", "secret"),
        [
            ("sim" + "a" * 16, EXAMPLE_DEMO_SECRET),  # key of 19
            ("sim" + "a" * 62, EXAMPLE_DEMO_SECRET),  # key of 65
            ("Sim" + "a" * 17, EXAMPLE_DEMO_SECRET),  # `sim` in small letters only
            ("xsim" + "a" * 17, EXAMPLE_DEMO_SECRET),
            ("simAlice-00000000001", EXAMPLE_DEMO_SECRET),  # letters and digits only
            ("simAlice00000000000ü", EXAMPLE_DEMO_SECRET),
            (EXAMPLE_DEMO_KEY, "s" * 19),
            (EXAMPLE_DEMO_KEY, "s" * 65),
            (EXAMPLE_DEMO_KEY, "alice secret 0000001"),  # no spaces
            (EXAMPLE_DEMO_KEY, "비밀번호비밀번호비밀번호비밀번호비밀번호"),  # printable ASCII only
        ],
    )
    def test_refused(self, app_key, secret):
        assert not is_demo_key_pair(app_key, secret)


class TestProvisioning:
    def test_a_pair_of_the_shape_gets_a_fresh_account_with_a_deposit_only(self, demo):
        token = demo.token(EXAMPLE_DEMO_KEY, EXAMPLE_DEMO_SECRET)

        assert demo.deposit(token)["entr"] == "000000010000000"
        assert demo.balance(token)["acnt_evlt_remn_indv_tot"] == []
        assert demo.ok("ka00001", {}, token)["acctNo"].startswith("81")
        assert demo.buy(token, "005930", 1, trde_tp="3")  # and it trades

    def test_the_secret_is_bound_at_the_first_token(self, demo):
        demo.token(EXAMPLE_DEMO_KEY, EXAMPLE_DEMO_SECRET)

        other = demo.issue(EXAMPLE_DEMO_KEY, "another-secret-00000001").json()

        assert (other["return_code"], other["return_msg"].startswith(AUTH_FAILED)) == (3, True)
        assert demo.token(EXAMPLE_DEMO_KEY, EXAMPLE_DEMO_SECRET)

    def test_two_users_get_two_accounts(self, demo):
        alice = demo.ok("ka00001", {}, demo.token("simAlice000000000001", "alice-secret-0000001"))
        bob = demo.ok("ka00001", {}, demo.token("simBob00000000000002", "bob-secret-000000002"))

        assert alice["acctNo"] != bob["acctNo"]

    @pytest.mark.parametrize(
        ("app_key", "secret"),
        [("someRealLookingKey000000000001", EXAMPLE_DEMO_SECRET), (EXAMPLE_DEMO_KEY, "short")],
    )
    def test_any_other_unknown_pair_is_8001(self, demo, app_key, secret):
        body = demo.issue(app_key, secret).json()

        assert (body["return_code"], body["return_msg"].startswith(AUTH_FAILED)) == (3, True)
        assert demo.control.stats()["calls_by_app_key"] == {}  # no account was made

    def test_the_demo_account_still_works(self, demo):
        assert demo.token()

    def test_without_the_option_a_pair_of_the_shape_is_8001(self):
        with running_simulator(start_time=START, freeze_clock=True) as handle:
            client = Kiwoom(handle)
            assert AUTH_FAILED in client.issue(EXAMPLE_DEMO_KEY, EXAMPLE_DEMO_SECRET).json()["return_msg"]

    def test_with_auto_provision_too_a_pair_of_the_shape_gets_the_fresh_account(self):
        with running_simulator(demo_keys=True, auto_provision=True, start_time=START, freeze_clock=True) as h:
            client = Kiwoom(h)
            shaped = client.token(EXAMPLE_DEMO_KEY, EXAMPLE_DEMO_SECRET)
            anything = client.token("anyKey", "anySecret")

            assert client.balance(shaped)["acnt_evlt_remn_indv_tot"] == []
            assert len(client.balance(anything)["acnt_evlt_remn_indv_tot"]) == 3  # the demo holdings


def test_the_command_line_option():
    assert build_parser().parse_args(["--demo-keys"]).demo_keys is True
    assert build_parser().parse_args([]).demo_keys is False


def test_the_server_started_with_it_provisions_and_says_how():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "kiwoom_sim", "--port", str(port), "--demo-keys"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                response = requests.post(
                    f"http://127.0.0.1:{port}/oauth2/token",
                    json={
                        "grant_type": "client_credentials",
                        "appkey": EXAMPLE_DEMO_KEY,
                        "secretkey": EXAMPLE_DEMO_SECRET,
                    },
                    timeout=2,
                )
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "the simulator did not come up"
                time.sleep(0.1)
        assert response.json()["return_code"] == 0
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert EXAMPLE_DEMO_KEY.encode() in output  # the banner says what to type
