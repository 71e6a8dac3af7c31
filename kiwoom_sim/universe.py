"""The listed universe: the 26 real names of `UNIVERSE` plus a few thousand generated KOSPI, KOSDAQ and
ETF listings with plausible Korean names, stock-master facts (ka10099) and warnings, all from a seed.

Generated on first use (about 20 ms) and cached per seed; nothing here walks a price (see `market`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from .ticks import floor_to_tick


@dataclass(frozen=True)
class Listing:
    """A stock of the universe: code, Korean name, starting price and average shares traded per walk step."""

    code: str
    name: str
    base_price: int
    step_volume: int


UNIVERSE: tuple[Listing, ...] = (
    Listing("005930", "삼성전자", 71_500, 600),
    Listing("000660", "SK하이닉스", 176_000, 120),
    Listing("035420", "NAVER", 201_000, 30),
    Listing("035720", "카카오", 41_350, 80),
    Listing("005380", "현대차", 215_500, 25),
    Listing("000270", "기아", 98_700, 50),
    Listing("068270", "셀트리온", 178_300, 30),
    Listing("105560", "KB금융", 84_600, 40),
    Listing("373220", "LG에너지솔루션", 362_500, 10),
    Listing("323410", "카카오뱅크", 21_850, 60),
    Listing("003280", "흥아해운", 1_790, 200),
    # More large caps, so that an account can hold more than one kt00018 page (20 rows).
    Listing("051910", "LG화학", 310_500, 10),
    Listing("006400", "삼성SDI", 285_000, 10),
    Listing("207940", "삼성바이오로직스", 1_012_000, 3),
    Listing("012330", "현대모비스", 245_500, 10),
    Listing("055550", "신한지주", 52_300, 40),
    Listing("028260", "삼성물산", 138_200, 15),
    Listing("066570", "LG전자", 78_400, 30),
    Listing("096770", "SK이노베이션", 112_300, 20),
    Listing("017670", "SK텔레콤", 55_600, 20),
    Listing("030200", "KT", 41_250, 30),
    Listing("015760", "한국전력", 22_350, 80),
    Listing("086790", "하나금융지주", 61_800, 30),
    Listing("009150", "삼성전기", 131_400, 15),
    Listing("011200", "HMM", 21_550, 100),
    Listing("005490", "POSCO홀딩스", 318_000, 10),
)

KOSPI = "KOSPI"
KOSDAQ = "KOSDAQ"
ETF = "ETF"
# ka10099 `mrkt_tp` -> market (PROTOCOL.md M1); the other documented codes list nothing here.
MARKET_TYPES = {"0": KOSPI, "10": KOSDAQ, "8": ETF}
LISTING_MARKET_TYPES = ("0", "10", "30", "50", "60", "70", "80", "90", "2", "3", "4", "5", "6", "7", "8", "9")
GENERATED = {KOSPI: 900, KOSDAQ: 1_600, ETF: 700}
# The listings do not change with the price walk's seed: an account holding a generated code keeps it across
# `/_sim/seed`, and a synced stock master stays valid across resets.
UNIVERSE_SEED = 0

# ka10099 marketCode / marketName of a row.
MARKET_CODES = {KOSPI: ("0", "거래소"), KOSDAQ: ("10", "코스닥"), ETF: ("0", "거래소")}


@dataclass(frozen=True, slots=True)
class Instrument:
    """A listing and what the stock master says about it."""

    listing: Listing
    market: str  # KOSPI, KOSDAQ or ETF
    listed_shares: int
    listed_on: date
    audit_info: str  # 감리구분: 정상, 투자주의환기종목, ...
    state: str  # `|`-joined flags: 증거금40%|신용가능, 관리종목|증거금100%, 거래정지|...
    order_warning: str  # 0 none, 1 ETF 투자주의요망, 2 정리매매, 3 단기과열, 4 투자위험, 5 투자경고
    nxt_enabled: bool
    sector: str
    size_class: str  # 대형주 / 중형주 / 소형주 / ""

    @property
    def code(self) -> str:
        return self.listing.code

    @property
    def name(self) -> str:
        return self.listing.name

    @property
    def margin_rate(self) -> int:
        """The stock's margin rate (증거금율, percent) from its state flags."""
        for flag in self.state.split("|"):
            if flag.startswith("증거금") and flag.endswith("%"):
                return int(flag[3:-1])
        return 100


class Universe:
    """Every instrument by code, and the codes of each market in code order."""

    def __init__(self, instruments: list[Instrument]) -> None:
        self.by_code = {instrument.code: instrument for instrument in instruments}
        self.by_market: dict[str, list[Instrument]] = {KOSPI: [], KOSDAQ: [], ETF: []}
        for instrument in sorted(instruments, key=lambda i: i.code):
            self.by_market[instrument.market].append(instrument)

    def get(self, code: str) -> Instrument | None:
        return self.by_code.get(code)

    def __len__(self) -> int:
        return len(self.by_code)

    def market(self, name: str) -> list[Instrument]:
        return self.by_market.get(name, [])


@lru_cache(maxsize=4)
def universe_for(seed: int = UNIVERSE_SEED) -> Universe:
    """The universe of a seed (the real names always, with the same facts under every seed)."""
    rng = random.Random(f"universe:{seed}")
    taken = {listing.code for listing in UNIVERSE}
    names = {listing.name for listing in UNIVERSE}
    instruments = [_real(listing, index) for index, listing in enumerate(UNIVERSE)]
    for market, count in GENERATED.items():
        for _ in range(count):
            code = _new_code(rng.random, market, taken)
            name, sector = _new_name(rng.random, market, names)
            instruments.append(_generated(rng, market, code, name, sector))
    return Universe(instruments)


# --- Real names --------------------------------------------------------------------------------------------

_REAL_SECTORS = {
    "005930": "전기·전자",
    "000660": "전기·전자",
    "035420": "서비스업",
    "035720": "서비스업",
    "005380": "운수장비",
    "000270": "운수장비",
    "068270": "의약품",
    "105560": "금융업",
    "373220": "전기·전자",
    "323410": "금융업",
    "003280": "운수창고업",
    "051910": "화학",
    "006400": "전기·전자",
    "207940": "의약품",
    "012330": "운수장비",
    "055550": "금융업",
    "028260": "유통업",
    "066570": "전기·전자",
    "096770": "화학",
    "017670": "통신업",
    "030200": "통신업",
    "015760": "전기가스업",
    "086790": "금융업",
    "009150": "전기·전자",
    "011200": "운수창고업",
    "005490": "철강금속",
}


def _real(listing: Listing, index: int) -> Instrument:
    # Market caps of a few hundred trillion won down to a trillion: shares = cap / price, roughly.
    cap = 400_000_000_000_000 // (index + 1) if listing.code != "003280" else 400_000_000_000
    return Instrument(
        listing=listing,
        market=KOSPI,
        listed_shares=max(cap // listing.base_price, 1_000_000),
        listed_on=date(1975, 6, 11) + timedelta(days=397 * index),
        audit_info="정상",
        state="증거금20%|담보대출|신용가능" if index < 11 else "증거금30%|담보대출|신용가능",
        order_warning="0",
        nxt_enabled=True,
        sector=_REAL_SECTORS.get(listing.code, ""),
        size_class="대형주" if listing.base_price > 5_000 else "소형주",
    )


# --- Generated names ---------------------------------------------------------------------------------------

_STEMS = (
    "한",
    "대",
    "동",
    "신",
    "삼",
    "세",
    "성",
    "우",
    "진",
    "광",
    "태",
    "영",
    "현",
    "금",
    "일",
    "국",
    "원",
    "창",
    "명",
    "보",
    "경",
    "화",
    "정",
    "상",
    "미",
    "서",
    "남",
    "제",
    "천",
    "인",
    "두",
    "효",
    "풍",
    "오",
    "덕",
    "유",
    "백",
    "장",
    "용",
    "청",
    "고",
    "조",
    "한솔",
    "동아",
    "대한",
    "한국",
    "서울",
    "부산",
    "대구",
    "인천",
    "광주",
    "대원",
    "동원",
    "태광",
    "한일",
    "신세계",
    "삼양",
    "대상",
    "일진",
    "세아",
    "한라",
    "동국",
    "대림",
    "한미",
    "코스",
    "에이",
    "케이",
    "엘",
    "에스",
    "제이",
    "디",
    "티",
    "엠",
    "지",
    "비",
    "씨",
    "아이",
    "와이",
    "유니",
    "네오",
    "에코",
    "바이오",
    "나노",
    "그린",
    "블루",
    "퓨처",
    "스마트",
    "글로벌",
    "코리아",
    "뉴",
    "하이",
)
_MIDDLES = ("", "", "", "", "성", "진", "원", "영", "양", "전", "화", "명", "흥", "신", "일", "테크", "솔")
_SUFFIXES = {
    "전기·전자": ("전자", "전기", "반도체", "디스플레이", "정밀", "테크", "일렉트릭", "마이크론", "옵틱스"),
    "화학": ("화학", "케미칼", "소재", "정밀화학", "첨단소재", "폴리머"),
    "의약품": ("제약", "약품", "바이오", "헬스케어", "바이오로직스", "메디칼", "파마", "생명과학"),
    "운수장비": ("중공업", "조선", "모터스", "오토모티브", "기계", "모빌리티", "에어로스페이스"),
    "금융업": ("금융지주", "증권", "화재", "생명", "캐피탈", "은행", "투자증권"),
    "건설업": ("건설", "산업개발", "종합건설", "엔지니어링", "이앤씨"),
    "서비스업": ("엔터테인먼트", "게임즈", "소프트", "시스템", "네트웍스", "미디어", "인터넷", "플랫폼"),
    "음식료품": ("식품", "제과", "푸드", "음료", "제당", "유업"),
    "철강금속": ("철강", "제강", "금속", "스틸", "특수강"),
    "유통업": ("물산", "상사", "유통", "리테일", "홈쇼핑"),
    "운수창고업": ("해운", "항공", "로지스틱스", "물류", "운송"),
    "섬유의복": ("방직", "섬유", "패션", "어패럴"),
    "기계": ("기계", "로보틱스", "정공", "산업", "이엔지"),
    "통신업": ("텔레콤", "통신", "네트워크"),
    "전기가스업": ("에너지", "가스", "전력", "솔라"),
}
_HOLDING_SUFFIXES = ("홀딩스", "", "", "", "", "", "", "", "", "")
_ETF_BRANDS = (
    "KODEX",
    "TIGER",
    "RISE",
    "ACE",
    "SOL",
    "HANARO",
    "KOSEF",
    "PLUS",
    "KIWOOM",
    "TIMEFOLIO",
    "WON",
    "BNK",
    "마이티",
    "파워",
    "에셋플러스",
    "UNICORN",
    "TRUSTON",
    "히어로즈",
    "FOCUS",
    "ITF",
)
_ETF_THEMES = (
    "200",
    "코스닥150",
    "반도체",
    "2차전지산업",
    "미국S&P500",
    "미국나스닥100",
    "고배당",
    "레버리지",
    "인버스",
    "200선물인버스2X",
    "은행",
    "헬스케어",
    "AI반도체",
    "K방산",
    "CD금리액티브(합성)",
    "TOP10",
    "배당성장",
    "미국배당다우존스",
    "조선TOP3플러스",
    "차이나전기차",
    "일본니케이225",
    "국고채10년",
    "단기채권",
    "골드선물(H)",
    "원유선물(H)",
    "리츠부동산인프라",
    "바이오",
    "게임",
    "미디어컨텐츠",
    "건설",
    "자동차",
    "철강",
    "증권",
    "밸류업",
    "코리아밸류업",
    "글로벌AI",
    "로봇",
    "우주항공",
    "전력인프라",
    "원자력",
    "화장품",
    "K-푸드",
    "인도Nifty50",
    "베트남VN30",
    "미국테크TOP10",
    "미국채30년액티브",
    "머니마켓액티브",
    "KRX300",
    "중소형",
    "ESG",
    "삼성그룹",
    "현대차그룹",
    "LG그룹",
    "SK그룹",
    "CJ그룹",
    "고배당커버드콜",
    "미국30년국채커버드콜",
)
_ETF_VARIANTS = ("", "", "", " 액티브", "(합성)", " TR", " 플러스", " 커버드콜", "(H)", " Top5")


def _pick(draw: Callable[[], float], choices: Sequence[str]) -> str:
    return choices[int(draw() * len(choices))]


def _new_code(draw: Callable[[], float], market: str, taken: set[str]) -> str:
    low, high = (100_000, 500_000) if market == ETF else (100, 10_000 if market == KOSPI else 50_000)
    while True:
        number = low + int(draw() * (high - low))
        # Common shares end in 0 (preferred shares in 5, 7 or 9); ETF codes do not follow that rule.
        code = f"{number:06d}" if market == ETF else f"{number * 10:06d}"
        if code not in taken:
            taken.add(code)
            return code


_SECTORS = tuple(_SUFFIXES)


def _new_name(draw: Callable[[], float], market: str, names: set[str]) -> tuple[str, str]:
    """A name not used yet, and its sector ("" for an ETF)."""
    sector = ""
    for attempt in range(50):
        if market == ETF:
            name = f"{_pick(draw, _ETF_BRANDS)} {_pick(draw, _ETF_THEMES)}{_pick(draw, _ETF_VARIANTS)}"
        else:
            sector = _pick(draw, _SECTORS)
            name = (
                _pick(draw, _STEMS)
                + _pick(draw, _MIDDLES)
                + _pick(draw, _SUFFIXES[sector])
                + _pick(draw, _HOLDING_SUFFIXES)
            )
        if attempt > 40:
            name += str(attempt)
        if name not in names:
            names.add(name)
            return name, sector
    raise RuntimeError("could not make a unique name")  # pragma: no cover - 50 tries always suffice


def _generated(rng: random.Random, market: str, code: str, name: str, sector: str) -> Instrument:
    if market == ETF:
        price = rng.lognormvariate(9.3, 0.6)  # around 10,000 won
    elif market == KOSPI:
        price = rng.lognormvariate(9.9, 1.1)  # around 20,000 won
    else:
        price = rng.lognormvariate(8.9, 0.9)  # around 7,000 won
    base_price = max(floor_to_tick(int(min(max(price, 500), 900_000))), 100)
    shares = int(rng.lognormvariate(17.0 if market != ETF else 15.5, 1.0))
    # Cheaper and bigger listings trade more shares per walk step.
    step_volume = max(1, int(shares / 2_000_000 * rng.uniform(0.2, 1.5)))
    audit, state, warning = _warnings(rng, market)
    cap = base_price * shares
    size = "" if market != KOSPI else "대형주" if cap > 2e12 else "중형주" if cap > 3e11 else "소형주"
    return Instrument(
        listing=Listing(code, name, base_price, step_volume),
        market=market,
        listed_shares=shares,
        listed_on=date(1985, 1, 2) + timedelta(days=int(rng.random() * 14_000)),
        audit_info=audit,
        state=state,
        order_warning=warning,
        nxt_enabled=market != ETF and rng.random() < 0.6,
        sector=sector,
        size_class=size,
    )


def _warnings(rng: random.Random, market: str) -> tuple[str, str, str]:
    """(auditInfo, state, orderWarning): mostly clean, a few percent flagged as on KRX."""
    margin = rng.choice((20, 30, 40, 40, 50, 100)) if market != ETF else 100
    flags = [f"증거금{margin}%"] + (["담보대출", "신용가능"] if margin < 100 else [])
    audit, warning = "정상", "0"
    draw = rng.random()
    if market == ETF:
        if draw < 0.02:
            warning = "1"
        return audit, "|".join(flags), warning
    if draw < 0.025:
        flags = ["관리종목", "증거금100%"]
    elif draw < 0.035:
        warning = "5"  # 투자경고
        flags = ["증거금100%"]
    elif draw < 0.04:
        warning = "4"  # 투자위험
        flags = ["증거금100%"]
    elif draw < 0.05:
        audit = "투자주의환기종목"
    elif draw < 0.055:
        flags = ["거래정지", "증거금100%"]
    elif draw < 0.058:
        warning = "2"  # 정리매매
        flags = ["관리종목", "증거금100%"]
    elif draw < 0.07:
        warning = "3"  # 단기과열
    return audit, "|".join(flags), warning
