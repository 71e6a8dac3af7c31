"""This domain's pages."""

from django.urls import path

from brokerage.history import views

urlpatterns = [
    path("journal/", views.journal, name="journal"),
    path("history/", views.history, name="history"),
]
