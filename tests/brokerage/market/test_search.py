"""Search: code, name part, 초성 and mixed input, ranked; the same on PostgreSQL and SQLite."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from brokerage.market.models import Stock
from brokerage.market.search import stock_master_changed, stocks_search
from tests.brokerage.market.conftest import listed

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def master():
    """A small master with the cases that matter: ordinary, preferred, ETF, a namesake on KOSDAQ."""
    Stock.objects.all().delete()
    listed("005930", "삼성전자", shares=5_969_782_550, price=71_500)
    listed("005935", "삼성전자우", shares=822_886_700, price=58_000)
    listed("207940", "삼성바이오로직스", shares=71_174_000, price=1_012_000)
    listed("028260", "삼성물산", shares=169_976_544, price=138_200)
    listed("102780", "KODEX 삼성그룹", market="ETF", shares=300_000_000, price=9_000)
    listed("000660", "SK하이닉스", shares=728_002_365, price=176_000)
    listed("005380", "현대차", shares=209_416_191, price=215_500)
    listed("900001", "대성전자", market="KOSDAQ", shares=10_000_000, price=3_000, warnings=["managed"])
    listed("999990", "상장폐지전자", is_listed=False)
    stock_master_changed()


def codes(text: str, limit: int = 20) -> list[str]:
    return [hit.stock_code for hit in stocks_search(text=text, limit=limit)]


def test_initials_find_the_stock(master):
    assert codes("ㅅㅅㅈㅈ") == ["005930", "005935"]


def test_mixed_syllables_and_initials_find_the_stock(master):
    assert codes("삼ㅅㅈ") == ["005930", "005935"]


def test_a_syllable_being_composed_already_finds_the_stock(master):
    assert codes("삼성저")[:2] == ["005930", "005935"]


def test_any_part_of_the_name_finds_it(master):
    assert set(codes("전자")) == {"005930", "005935", "900001"}


def test_names_starting_with_the_text_come_before_names_containing_it(master):
    found = codes("삼성")
    assert found.index("102780") == len(found) - 1  # "KODEX 삼성그룹" only contains it


def test_ordinary_shares_come_before_preferred_and_bigger_before_smaller(master):
    # 삼성바이오로직스 (72조) is worth more than 삼성물산 (23조); the preferred share follows the ordinary.
    assert codes("삼성") == ["005930", "207940", "028260", "005935", "102780"]


def test_the_exact_code_comes_first_then_codes_starting_with_it(master):
    assert codes("005930") == ["005930"]
    assert codes("00593") == ["005930", "005935"]
    assert codes("0059")[:2] == ["005930", "005935"]


def test_latin_letters_match_whatever_their_case(master):
    assert codes("sk하") == ["000660"]
    assert codes("kodex") == ["102780"]


def test_a_stock_no_longer_listed_is_not_found(master):
    assert codes("상장폐지") == []


def test_results_carry_market_and_warnings(master):
    (hit,) = stocks_search(text="대성전자")
    assert (hit.market, hit.warnings) == ("KOSDAQ", ("managed",))


def test_the_limit_is_respected_and_blank_text_finds_nothing(master):
    assert len(codes("ㅅ", limit=2)) == 2
    assert codes("   ") == []


def test_a_sync_elsewhere_is_seen_after_the_version_changes(master):
    assert codes("기아") == []
    listed("000270", "기아", shares=397_672_632, price=98_700)
    stock_master_changed()

    assert codes("기아") == ["000270"]


SQLITE_SCRIPT = """
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from brokerage.market.search import stocks_search
queries = ["ㅅㅅㅈㅈ", "삼ㅅ", "하이닉", "0056"]
print(json.dumps({q: [h.stock_code for h in stocks_search(text=q, limit=5)] for q in queries}))
"""


@pytest.mark.django_db(databases=[])
def test_search_works_on_sqlite_from_a_fresh_install(tmp_path):
    """A fresh SQLite install (the demo's database): migrated, seeded with the known names, searchable."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
        "REDIS_URL": "",
        "DJANGO_SETTINGS_MODULE": "stocklab.settings.test",
    }
    result = subprocess.run(
        [sys.executable, "-c", SQLITE_SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["ㅅㅅㅈㅈ"] == ["005930"]
    assert found["삼ㅅ"][0] == "005930"
    assert found["하이닉"] == ["000660"]
    assert found["0056"] == []
