"""Routers for the API: no trailing slash (the prototype's paths), optional slash accepted."""

from rest_framework.routers import DynamicRoute, Route, SimpleRouter

TRAILING_SLASH = "/?"


class ApiRouter(SimpleRouter):
    """Collections: `{prefix}` (list, create) and `{prefix}/{id}` (retrieve), plus their actions."""

    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = TRAILING_SLASH  # SimpleRouter only knows "/" or ""


class SingletonRouter(SimpleRouter):
    """Resources of which each user has one (`kiwoom/credentials`): the prefix itself is the object."""

    routes = [
        Route(
            url=r"^{prefix}{trailing_slash}$",
            mapping={"get": "retrieve", "post": "create", "put": "update", "delete": "destroy"},
            name="{basename}",
            detail=False,
            initkwargs={},
        ),
        DynamicRoute(
            url=r"^{prefix}/{url_path}{trailing_slash}$",
            name="{basename}-{url_name}",
            detail=False,
            initkwargs={},
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = TRAILING_SLASH  # SimpleRouter only knows "/" or ""
