"""The market domain's errors (the API maps each kind to one status: stocklab.api)."""

from django.utils.translation import gettext_lazy as _

from stocklab.errors import ApplicationError, ErrorKind


class StockNotFound(ApplicationError):
    code = "stock_not_found"
    kind = ErrorKind.NOT_FOUND
    default_detail = _("No listed stock has this code.")


class WatchlistNotFound(ApplicationError):
    code = "watchlist_not_found"
    kind = ErrorKind.NOT_FOUND
    default_detail = _("You have no 관심종목 group with this id.")


class WatchlistNameTaken(ApplicationError):
    code = "watchlist_name_taken"
    kind = ErrorKind.CONFLICT
    default_detail = _("You already have a 관심종목 group with this name.")


class WatchlistLimitReached(ApplicationError):
    code = "watchlist_limit_reached"
    kind = ErrorKind.REFUSED
    default_detail = _("You have as many 관심종목 groups as allowed. Delete one first.")


class WatchlistFull(ApplicationError):
    code = "watchlist_full"
    kind = ErrorKind.REFUSED
    default_detail = _("This 관심종목 group is full. Remove a stock or use another group.")


class WatchlistItemExists(ApplicationError):
    code = "watchlist_item_exists"
    kind = ErrorKind.CONFLICT
    default_detail = _("This stock is already in the group.")


class WatchlistItemNotFound(ApplicationError):
    code = "watchlist_item_not_found"
    kind = ErrorKind.NOT_FOUND
    default_detail = _("This stock is not in the group.")


class MarketDataNotConnected(ApplicationError):
    """The stock master sync found no connected Kiwoom credential to call with."""

    code = "market_data_not_connected"
    kind = ErrorKind.CONFLICT
    default_detail = _(
        "No connected Kiwoom keys to read the stock master with: set MARKET_DATA_CREDENTIAL_USER to a user "
        "with connected keys, or connect keys for any user."
    )
