/* Numbers, money and times as the pages show them: pure, given the page's locale and translations. */

const KST = "Asia/Seoul";

/** The formatters for `locale` ("ko-KR", "en-US"), with Django's JavaScript catalog functions. */
export function createFormat({ locale, gettext, ngettext, interpolate }) {
  const integer = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  const twoDecimals = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const clock = { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23", timeZone: KST };
  const dateTime = new Intl.DateTimeFormat(locale, { year: "numeric", month: "2-digit", day: "2-digit", ...clock });
  const dayTime = new Intl.DateTimeFormat(locale, { month: "2-digit", day: "2-digit", ...clock });
  const missing = (n) => n === null || n === undefined;

  const format = {
    number: (n) => (missing(n) ? "–" : integer.format(n)),
    /** KRW with thousands separators and the unit: 1,234,000원 / ₩1,234,000. */
    won: (n) => (missing(n) ? "–" : `${n < 0 ? "-" : ""}${interpolate(gettext("₩%s"), [integer.format(Math.abs(n))])}`),
    /** A signed amount: +12,300원 / -4,500원. */
    signedWon: (n) => (n > 0 ? "+" : "") + format.won(n),
    shares: (n) => interpolate(ngettext("%s share", "%s shares", n), [integer.format(n)]),
    /** A percentage given as the API's decimal string ("-2.70"), signed. */
    rate: (value) => {
      const n = Number(value);
      return Number.isFinite(n) ? `${n > 0 ? "+" : ""}${twoDecimals.format(n)}%` : "–";
    },
    percent: (value) => {
      const n = Number(value);
      return Number.isFinite(n) ? `${twoDecimals.format(n)}%` : "–";
    },
    /** An ISO time as Korea time: 2025. 01. 02. 09:30:00 KST. */
    dateTime: (iso) => (iso ? `${dateTime.format(new Date(iso))} KST` : "–"),
    /** Compact, for table cells: 01. 02. 09:30:00 (Korea time). */
    dayTime: (iso) => (iso ? dayTime.format(new Date(iso)) : "–"),
    /** Kiwoom's HHMMSS as 09:30:00. */
    clock: (hhmmss) => String(hhmmss).replace(/^(\d\d)(\d\d)(\d\d)$/, "$1:$2:$3"),
    /** Korean market convention: gains red, losses blue. */
    signClass: (n) => {
      const value = Number(n);
      if (value > 0) return "gain";
      return value < 0 ? "loss" : "flat";
    },
  };
  return format;
}
