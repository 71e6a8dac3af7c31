"""The answer an idempotency key replays is stored as domain data, not as HTTP: `Order.answer` holds the
entry's fields as answered ({"order": ...}) or the domain error ({"error": code, kind, detail, extra}),
carried over from the rendered `response_status` and `response_body` of existing rows.
"""

from django.db import migrations, models

# The one status of each error kind when the rows were written (stocklab.api.errors.STATUS_OF_KIND then).
KIND_OF_STATUS = {
    400: "invalid",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    422: "refused",
    429: "rate_limited",
    502: "upstream_failed",
    503: "unavailable",
}
STATUS_OF_KIND = {kind: status for status, kind in KIND_OF_STATUS.items()}
# The ledger entry as OrderSerializer rendered it: its names for the model's fields.
RENDERED_AS = {
    "id": "id",
    "order_number": "kiwoom_order_number",
    "side": "side",
    "stock_code": "stock_code",
    "stock_name": "stock_name",
    "quantity": "quantity",
    "trade_type": "trade_type",
    "price": "price",
    "status": "status",
    "filled_quantity": "filled_quantity",
    "kiwoom_code": "kiwoom_code",
    "kiwoom_message": "kiwoom_message",
    "ordered_at": "created_at",
    "updated_at": "updated_at",
    "mode": "mode",
    "kind": "kind",
    "parent": "parent_id",
    "exchange": "exchange",
    "average_fill_price": "average_fill_price",
    "cancelled_quantity": "cancelled_quantity",
    "modified_quantity": "modified_quantity",
    "sent_at": "sent_at",
    "last_synced_at": "last_synced_at",
    "request_id": "request_id",
}
_NOT_ANSWERED_FIELDS = {"response_status", "response_body", "answer"}


def answer_of(order, fields):
    body = order.response_body or {}
    if order.response_status != 201:
        extra = {name: value for name, value in body.items() if name not in ("code", "detail")}
        kind = KIND_OF_STATUS[order.response_status]
        return {"error": {"code": body["code"], "kind": kind, "detail": body["detail"], "extra": extra}}
    # The row as it is now, then everything the answer showed as it was then. The answer's message was the
    # note in words beside Kiwoom's message: kept as the message, with no note beside it.
    values = {
        field.attname: None if field.value_from_object(order) is None else field.value_to_string(order)
        for field in fields
    }
    values["note"] = ""
    for name, attname in RENDERED_AS.items():
        if name in body:
            values[attname] = None if body[name] is None else str(body[name])
    return {"order": values}


def forward(apps, schema_editor):
    Order = apps.get_model("brokerage", "Order")
    fields = [field for field in Order._meta.concrete_fields if field.name not in _NOT_ANSWERED_FIELDS]
    answered = Order.objects.filter(response_status__isnull=False).order_by("pk")
    for order in answered.iterator(chunk_size=500):
        Order.objects.filter(pk=order.pk).update(answer=answer_of(order, fields))


def backward(apps, schema_editor):
    """Errors go back as they were rendered; an answered order goes back unanswered (a repeat then shows the
    entry as it is, 200), as rendering it belongs to the API."""
    Order = apps.get_model("brokerage", "Order")
    for order in Order.objects.filter(answer__has_key="error").order_by("pk").iterator(chunk_size=500):
        error = order.answer["error"]
        body = {"code": error["code"], "detail": error["detail"], **error["extra"]}
        Order.objects.filter(pk=order.pk).update(
            response_status=STATUS_OF_KIND[error["kind"]], response_body=body
        )


class Migration(migrations.Migration):
    dependencies = [
        ("brokerage", "0005_order_note"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="answer",
            field=models.JSONField(blank=True, null=True, verbose_name="answer"),
        ),
        migrations.RunPython(forward, backward),
        migrations.RemoveField(model_name="order", name="response_body"),
        migrations.RemoveField(model_name="order", name="response_status"),
    ]
