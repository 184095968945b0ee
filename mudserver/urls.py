from django.contrib import admin
from django.urls import path

from mudserver import admin_tools, views

urlpatterns = [
    path("", views.index, name="index"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", views.metrics, name="metrics"),
    path("admin/live/online/", admin.site.admin_view(admin_tools.online_view), name="mud-online"),
    path("admin/", admin.site.urls),
]
