"""Account TRs: kt00018 paging and widths, kt00001, kt00004, ka00001, the not-on-mock TRs (PROTOCOL 3)."""

from __future__ import annotations

import pytest

from kiwoom_sim.universe import UNIVERSE

WIDTH_15 = [
    "evltv_prft",
    "pur_pric",
    "rmnd_qty",
    "trde_able_qty",
    "pred_buyq",
    "pred_sellq",
    "tdy_buyq",
    "tdy_sellq",
    "pur_amt",
    "pur_cmsn",
    "evlt_amt",
    "sell_cmsn",
    "tax",
    "sum_cmsn",
]
BALANCE = {"qry_tp": "1", "dmst_stex_tp": "KRX"}


def many_holdings(sim, count: int) -> str:
    holdings = [(listing.code, i + 1, listing.base_price) for i, listing in enumerate(UNIVERSE[:count])]
    sim.control.add_account("manyKey", "manySecret", cash=1_000_000, holdings=holdings)
    return sim.token("manyKey", "manySecret")


class TestKt00018:
    def test_demo_account_fields_and_widths(self, sim, token, examples):
        body = sim.balance(token)
        example_row = examples["kt00018"]["response"]["body"]["acnt_evlt_remn_indv_tot"][0]

        assert [row["stk_cd"] for row in body["acnt_evlt_remn_indv_tot"]] == ["A005930", "A000660", "A035420"]
        for name in ("tot_pur_amt", "tot_evlt_amt", "prsm_dpst_aset_amt", "tot_loan_amt"):
            assert len(body[name]) == 15 and body[name].isdigit()
        for row in body["acnt_evlt_remn_indv_tot"]:
            assert list(row) == list(example_row)
            for name in WIDTH_15:
                assert len(row[name]) == 15, name
            assert len(row["pred_close_pric"]) == 12
            assert row["crd_tp"] == "00"
        samsung = body["acnt_evlt_remn_indv_tot"][0]
        assert samsung["rmnd_qty"] == "000000000000010"
        assert samsung["pur_pric"] == "000000000070000"
        assert samsung["pur_amt"] == "000000000700000"

    def test_cur_prc_carries_the_direction_sign(self, sim, token):
        sim.control.set_price("005930", 72_000)  # base 71,500: up
        sim.control.set_price("000660", 170_000)  # base 176,000: down
        rows = {r["stk_cd"]: r for r in sim.balance(token)["acnt_evlt_remn_indv_tot"]}

        assert rows["A005930"]["cur_prc"] == "+000000072000"
        assert rows["A000660"]["cur_prc"] == "-000000170000"
        assert rows["A035420"]["cur_prc"] == "000000201000"  # unchanged: no sign
        assert rows["A005930"]["evlt_amt"] == "000000000720000"

    def test_negative_totals_keep_the_sign_inside_the_width(self, sim, token):
        sim.control.set_price("005930", 60_000)
        body = sim.balance(token)
        row = body["acnt_evlt_remn_indv_tot"][0]

        # 600,000 - 700,000 - 100 - 90 - 1,080
        assert row["evltv_prft"] == "-00000000101270"
        assert row["prft_rt"] == "-14.47"
        assert len(body["tot_evlt_pl"]) == 15 and body["tot_evlt_pl"].startswith("-")
        assert int(body["tot_evlt_pl"]) == sum(int(r["evltv_prft"]) for r in body["acnt_evlt_remn_indv_tot"])

    def test_more_than_twenty_holdings_come_in_pages(self, sim):
        token = many_holdings(sim, 25)
        first = sim.tr("kt00018", BALANCE, token, cont_yn="N", next_key="")
        assert first.headers["cont-yn"] == "Y"
        key = first.headers["next-key"]
        assert 0 < len(key) <= 50
        assert len(first.json()["acnt_evlt_remn_indv_tot"]) == 20

        second = sim.tr("kt00018", BALANCE, token, cont_yn="Y", next_key=key)
        assert second.headers["cont-yn"] == "N"
        assert second.headers["next-key"] == ""
        rows = first.json()["acnt_evlt_remn_indv_tot"] + second.json()["acnt_evlt_remn_indv_tot"]
        assert [r["stk_cd"] for r in rows] == ["A" + listing.code for listing in UNIVERSE[:25]]
        # The summary covers the whole account on every page.
        assert first.json()["tot_pur_amt"] == second.json()["tot_pur_amt"]
        assert int(first.json()["tot_pur_amt"]) == sum(int(r["pur_amt"]) for r in rows)

    def test_exactly_twenty_holdings_fit_one_page(self, sim):
        token = many_holdings(sim, 20)
        response = sim.tr("kt00018", BALANCE, token)
        assert response.headers["cont-yn"] == "N"
        assert len(response.json()["acnt_evlt_remn_indv_tot"]) == 20

    @pytest.mark.parametrize("name", ["holdings_page_size", "page_size"])
    def test_page_size_is_configurable(self, sim, name):
        token = many_holdings(sim, 7)
        sim.control.configure(**{name: 3})
        pages, cont, key = [], "N", ""
        while True:
            response = sim.tr("kt00018", BALANCE, token, cont_yn=cont, next_key=key)
            pages.append(len(response.json()["acnt_evlt_remn_indv_tot"]))
            cont, key = response.headers["cont-yn"], response.headers["next-key"]
            if cont != "Y":
                break
        assert pages == [3, 3, 1]
        assert sim.control.config()["holdings_page_size"] == 3

    def test_a_forged_next_key_is_1517(self, sim, token):
        data = sim.tr("kt00018", BALANCE, token, cont_yn="Y", next_key="garbage").json()
        assert (
            data["return_code"] == 2 and "[1517:" in data["return_msg"] and "next-key" in data["return_msg"]
        )

    def test_required_fields(self, sim, token):
        assert "파라미터=qry_tp]" in sim.tr("kt00018", {"dmst_stex_tp": "KRX"}, token).json()["return_msg"]
        bad = sim.tr("kt00018", {"qry_tp": "9", "dmst_stex_tp": "KRX"}, token).json()
        assert bad["return_code"] == 2 and "[1517:" in bad["return_msg"]


class TestDeposit:
    def test_kt00001_fields_are_fifteen_wide(self, sim, token):
        body = sim.deposit(token)
        for name in ("entr", "ord_alow_amt", "pymn_alow_amt", "d1_entra", "d2_entra", "100stk_ord_alow_amt"):
            assert body[name] == "000000010000000", name
        assert body["crd_grnt_rt"] == "0.00"
        assert isinstance(body["stk_entr_prst"], list)

    def test_open_buy_orders_reduce_the_orderable_amount_not_the_deposit(self, sim, token):
        sim.control.set_price("005930", 71_500)
        sim.buy(token, "005930", 10, 70_000)  # rests: 700,000 + 100 commission tied up
        body = sim.deposit(token)

        assert body["entr"] == "000000010000000"
        assert body["ord_alow_amt"] == "000000009299900"
        assert body["profa_ch"] == "000000000700100"

    def test_qry_tp_is_checked(self, sim, token):
        data = sim.tr("kt00001", {"qry_tp": "1"}, token).json()
        assert data["return_code"] == 2 and "[1517:" in data["return_msg"]
        assert "[1511:" in sim.tr("kt00001", {}, token).json()["return_msg"]


class TestKt00004:
    def test_valuation_matches_the_holdings(self, sim, token):
        sim.control.set_price("005930", 72_000)
        body = sim.ok("kt00004", {"qry_tp": "0", "dmst_stex_tp": "KRX"}, token)
        rows = {r["stk_cd"]: r for r in body["stk_acnt_evlt_prst"]}

        assert body["entr"] == "000010000000"
        assert int(body["tot_est_amt"]) == sum(int(r["evlt_amt"]) for r in rows.values())
        assert int(body["prsm_dpst_aset_amt"]) == 10_000_000 + int(body["tot_est_amt"])
        samsung = rows["A005930"]
        assert samsung["evlt_amt"] == "000000720000"
        assert samsung["pl_amt"] == "000000020000"
        assert samsung["pl_rt"] == "2.8571"
        assert all(len(r["rmnd_qty"]) == 12 for r in rows.values())


class TestOtherAccountTrs:
    def test_ka00001_account_number(self, sim, token):
        data = sim.ok("ka00001", {}, token)
        assert data["acctNo"] == "8100000011"

    def test_trs_the_mock_server_does_not_offer_are_rc9000(self, sim, token):
        data = sim.tr("kt00005", {"dmst_stex_tp": "KRX"}, token).json()
        assert data == {
            "return_code": 20,
            "return_msg": "[2000](RC9000:모의투자에서는 해당업무가 제공되지 않습니다.)",
        }
