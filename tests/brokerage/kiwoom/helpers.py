"""Constants and small helpers shared by the Kiwoom client tests."""

from __future__ import annotations

import json
from typing import Any

BASE_URL = "https://mockapi.kiwoom.com"
TOKEN = "rEnex77E4eSQcZ7t5HfVbhZQY_G_4bDSUs3cSmvxTRD9nyHN_UD-lqr4ZMe5iHwyzmDiwtE6KVamUn14vKjP2A"
APP_KEY = "testAppKey0000000000000000000042"
APP_SECRET = "testSecretKey000000000000000042"
SECRETS = (TOKEN, APP_KEY, APP_SECRET)


def sent_json(call: Any) -> dict[str, Any]:
    """The JSON body of a request recorded by `responses`."""
    body = call.request.body
    return json.loads(body.decode("utf-8") if isinstance(body, bytes) else body)


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text
