/* Stock codes as Kiwoom writes them: the one rule of brokerage.kiwoom.STOCK_CODE_PATTERN, [0-9A-Z]{6}. */

// Six digits or capital letters: 005930, and the newer codes with letters such as 0000J0.
export const STOCK_CODE = /^[0-9A-Z]{6}$/;

/** True when `text` (already trimmed) is a stock code. */
export const isStockCode = (text) => typeof text === "string" && STOCK_CODE.test(text);

/** True for a code that starts with a digit: every listed code does, and no word typed into a search box. */
export const isDigitLedStockCode = (text) => isStockCode(text) && /^\d/.test(text);
