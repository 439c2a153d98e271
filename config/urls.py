from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.decorators.cache import never_cache

from organizations.forms import LoginForm

admin.site.site_header = "文明创建管理平台 · 系统管理"
admin.site.site_title = "文明创建管理平台"
admin.site.index_title = "系统管理"

urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Pages with passwords are never stored by a browser or proxy (Cache-Control: no-store; LoginView does it itself).
    path("accounts/password/", never_cache(auth_views.PasswordChangeView.as_view()), name="password_change"),
    path(
        "accounts/password/done/",
        never_cache(auth_views.PasswordChangeDoneView.as_view()),
        name="password_change_done",
    ),
    path("", include("dashboards.urls")),
    path("orgs/", include("organizations.urls")),
    path("campaigns/", include("campaigns.urls")),
    path("ledger/", include("ledger.urls")),
    path("evaluation/", include("evaluation.urls")),
    path("volunteers/", include("volunteers.urls")),
    path("jobs/", include("jobs.urls")),
    path("notifications/", include("notifications.urls")),
    path("history/", include("history.urls")),
    path("trash/", include("trash.urls")),
    path("admin/", admin.site.urls),
]

# Chinese error pages in the site's layout (config/views.py).
handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"
