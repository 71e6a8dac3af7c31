import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from brokerage.connections.models import KiwoomCredential, Mode


class OrderSide(models.TextChoices):
    BUY = "buy", _("Buy")
    SELL = "sell", _("Sell")


class OrderStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    UNRESOLVED = "unresolved", _("Unresolved")
    NOT_PLACED = "not_placed", _("Not placed")
    PARTIALLY_FILLED = "partially_filled", _("Partially filled")
    FILLED = "filled", _("Filled")
    CANCELLED = "cancelled", _("Cancelled")
    MODIFIED = "modified", _("Modified")


# Orders that may still trade at Kiwoom: kept up to date by the sync, open to modification and cancellation.
OPEN_STATUSES = frozenset({OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED})
# Attempts whose fate at Kiwoom is not known yet (pending: in flight, or its process died).
UNSETTLED_STATUSES = frozenset({OrderStatus.PENDING, OrderStatus.UNRESOLVED})


class OrderKind(models.TextChoices):
    NEW = "new", _("New order")
    MODIFY = "modify", _("Modification")
    CANCEL = "cancel", _("Cancellation")


class Exchange(models.TextChoices):
    KRX = "KRX", _("Korea Exchange")
    NXT = "NXT", _("Nextrade")
    SOR = "SOR", _("Smart order routing")


class LedgerNote(models.TextChoices):
    """What became of an attempt, in StockLab's words (Kiwoom's own are in `kiwoom_message`). Stored as a
    code and put into words when shown, in the reader's language."""

    INTERRUPTED_SENDING = "interrupted_sending", _("Interrupted while sending; to be checked against Kiwoom.")
    INTERRUPTED_BEFORE = "interrupted_before", _("Interrupted before sending; nothing reached Kiwoom.")
    ANSWER_LOST = (
        "answer_lost",
        _(
            "Kiwoom's answer was lost on the way: the order may or may not have been placed, and is being "
            "checked against Kiwoom's orders."
        ),
    )
    NOT_REACHED = "not_reached", _("Kiwoom could not be reached, so nothing was sent.")
    PROCESS_STOPPED_AFTER = (
        "process_stopped_after",
        _("Its process stopped after sending it; to be checked against Kiwoom."),
    )
    PROCESS_STOPPED_BEFORE = (
        "process_stopped_before",
        _("Its process stopped before sending it; nothing reached Kiwoom."),
    )
    NOT_FOUND = "not_found", _("Not found among the day's orders at Kiwoom: it was not placed.")
    FOUND = "found", _("Found at Kiwoom by reconciliation as order %(number)s.")


class Order(models.Model):
    """The ledger: every order attempt, written before anything is sent to Kiwoom."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="orders", verbose_name=_("user")
    )
    # The ledger outlives a disconnected credential.
    credential = models.ForeignKey(
        KiwoomCredential,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("Kiwoom credential"),
    )
    # The keys that placed it (KiwoomCredential.key_fingerprint), so its Kiwoom account: the credential row
    # takes other keys when the user connects them, and an order number names an order only in its account.
    key_fingerprint = models.CharField(_("key fingerprint"), max_length=64, blank=True, default="")
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices, default=Mode.MOCK)
    kind = models.CharField(_("kind"), max_length=8, choices=OrderKind.choices, default=OrderKind.NEW)
    # For a modification or cancellation: the ledger entry it acts on.
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("original order"),
    )
    side = models.CharField(_("side"), max_length=4, choices=OrderSide.choices)
    stock_code = models.CharField(_("stock code"), max_length=6)
    stock_name = models.CharField(_("stock name"), max_length=64, blank=True, default="")
    quantity = models.PositiveBigIntegerField(_("quantity"))
    trade_type = models.CharField(_("trade type"), max_length=2)
    price = models.PositiveBigIntegerField(_("price"), null=True, blank=True)
    # A modification or cancellation must name the exchange of the order it acts on (dmst_stex_tp).
    exchange = models.CharField(_("exchange"), max_length=3, choices=Exchange.choices, default=Exchange.KRX)
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING
    )
    kiwoom_order_number = models.CharField(_("Kiwoom order number"), max_length=10, blank=True, default="")
    kiwoom_code = models.CharField(_("Kiwoom code"), max_length=32, blank=True, default="")
    kiwoom_message = models.TextField(_("Kiwoom message"), blank=True, default="")
    note = models.CharField(_("note"), max_length=32, choices=LedgerNote.choices, blank=True, default="")
    filled_quantity = models.PositiveBigIntegerField(_("filled quantity"), default=0)
    average_fill_price = models.PositiveBigIntegerField(_("average fill price"), null=True, blank=True)
    cancelled_quantity = models.PositiveBigIntegerField(_("cancelled quantity"), default=0)
    # Shares handed on to accepted modifications (each a child order with its own Kiwoom order number).
    modified_quantity = models.PositiveBigIntegerField(_("modified quantity"), default=0)
    idempotency_key = models.CharField(_("idempotency key"), max_length=255, blank=True, default="")
    # SHA-256 of the order's parameters: a repeat of an idempotency key with other parameters is refused.
    request_fingerprint = models.CharField(_("request fingerprint"), max_length=64, blank=True, default="")
    request_id = models.UUIDField(_("request ID"), default=uuid.uuid4, editable=False, unique=True)
    # What the request that holds the idempotency key was answered with, replayed to its repeats as it was:
    # {"order": the entry's fields then} or {"error": its code, kind, detail and extra}; null until answered.
    answer = models.JSONField(_("answer"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_synced_at = models.DateTimeField(_("last synced at"), null=True, blank=True)
    reconcile_attempts = models.PositiveIntegerField(_("reconciliation attempts"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="one_order_per_idempotency_key",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="order_user_recent"),
            models.Index(fields=["status"], name="order_status"),
        ]

    def __str__(self) -> str:
        return gettext("%(side)s %(code)s x%(quantity)s (%(status)s)") % {
            "side": self.get_side_display(),
            "code": self.stock_code,
            "quantity": self.quantity,
            "status": self.get_status_display(),
        }

    @property
    def message(self) -> str:
        """StockLab's note on the order in the reader's language, with Kiwoom's own words beside it if any."""
        if not self.note:
            return self.kiwoom_message
        # What became of it (reconciliation's word, say) first; what Kiwoom answered before, beside it.
        note = self.get_note_display() % {"number": self.kiwoom_order_number}
        return f"{note} ({self.kiwoom_message})" if self.kiwoom_message else note

    @property
    def is_open(self) -> bool:
        """Still able to trade at Kiwoom (a cancellation never is: it is done once accepted)."""
        return self.kind != OrderKind.CANCEL and self.status in OPEN_STATUSES

    @property
    def remaining_quantity(self) -> int:
        """Shares still waiting at Kiwoom as far as the ledger knows (an upper bound between syncs)."""
        if not self.is_open:
            return 0
        done = self.filled_quantity + self.cancelled_quantity + self.modified_quantity
        return max(0, self.quantity - done)

    @property
    def closed_status(self) -> str:
        """The status this order ends in once nothing of it is left open."""
        if self.filled_quantity >= self.quantity:
            return OrderStatus.FILLED
        if self.modified_quantity:
            return OrderStatus.MODIFIED  # its remainder lives on in a child order
        return OrderStatus.CANCELLED


class TradingProfile(models.Model):
    """What an operator allows one user: real trading, and order limits that override the site's defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="trading_profile",
        verbose_name=_("user"),
    )
    real_trading_enabled = models.BooleanField(_("real trading allowed"), default=False)
    max_order_quantity = models.PositiveBigIntegerField(
        _("most shares per order"),
        null=True,
        blank=True,
        help_text=_("Shares per order; empty means the site's ORDER_MAX_QUANTITY."),
    )
    max_order_value = models.PositiveBigIntegerField(
        _("largest order value (KRW)"),
        null=True,
        blank=True,
        help_text=_("KRW per order; empty means the site's ORDER_MAX_VALUE."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("trading profile")
        verbose_name_plural = _("trading profiles")

    def __str__(self) -> str:
        return gettext("Trading profile of %(user)s") % {"user": self.user}
