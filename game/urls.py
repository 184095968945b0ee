from django.contrib import admin
from django.urls import path

from battles import admin_views
from mudserver.urls import urlpatterns as shell_urlpatterns

urlpatterns = [
    path("admin/live/battles/", admin.site.admin_view(admin_views.battles_view), name="mud-battles"),
    *shell_urlpatterns,
]
