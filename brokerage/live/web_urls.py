"""This domain's pages."""

urlpatterns: list = []
