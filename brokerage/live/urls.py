"""This domain's API routes under /api/v1/kiwoom/."""

urlpatterns: list = []
