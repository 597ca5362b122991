"""The web pages: server-rendered Jinja2 shells whose small scripts call the JSON API.

Callers (在线咨询, 查询工单) need no login. Staff pages need the session cookie: anonymous
visitors are sent to ``/login?next=...``, a wrong role gets a 403 page that names who may enter.
Every asset comes from ``hotline/static`` (no CDN), and each staff page carries the session's
CSRF token in ``<meta name="csrf-token">`` for the scripts' POST/PUT/PATCH/DELETE requests.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from hotline import __version__
from hotline.auth import ROLE_NAMES, optional_user
from hotline.tables import UserRow
from router.lifecycle import ACTIONS, STATES
from router.ratings import LEVELS, TASK_STATES

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals.update(version=__version__, role_names=ROLE_NAMES)

# workspace path, title, icon letter, roles that may enter
WORKSPACES = [
    ("/agent", "坐席工作台", "坐", ("agent", "supervisor")),
    ("/unit", "承办单位", "办", ("unit",)),
    ("/analyst", "统计分析", "统", ("analyst", "supervisor", "admin")),
    ("/admin", "系统管理", "管", ("admin",)),
]
HOME_OF = {
    "agent": "/agent",
    "supervisor": "/agent",
    "unit": "/unit",
    "admin": "/admin",
    "analyst": "/analyst",
}

pages = APIRouter(include_in_schema=False)


def static_files() -> StaticFiles:
    return StaticFiles(directory=STATIC_DIR)


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no host, no ``//``) is followed after login."""
    if not target:
        return ""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return ""
    return target


def _render(request: Request, name: str, user: UserRow | None, status: int = 200, **ctx):
    nav = [
        {"href": href, "title": title, "icon": icon, "active": request.url.path == href}
        for href, title, icon, roles in WORKSPACES
        if user is not None and user.role in roles
    ]
    context = {
        "user": user,
        "role_name": ROLE_NAMES.get(user.role, user.role) if user else "",
        "csrf_token": getattr(request.state, "csrf_token", "") if user else "",
        "nav": nav,
        "home_of": HOME_OF,
        "server_now": request.app.state.services.now().isoformat(timespec="seconds"),
        **ctx,
    }
    return templates.TemplateResponse(request, name, context, status_code=status)


def _staff_page(path: str, name: str, title: str, roles: tuple[str, ...], **extra):
    def page(request: Request, user: UserRow | None = Depends(optional_user)) -> Response:
        if user is None:
            return RedirectResponse(f"/login?next={quote(path)}", status_code=303)
        if user.role not in roles:
            allowed = "、".join(ROLE_NAMES[r] for r in roles)
            return _render(
                request,
                "forbidden.html",
                user,
                status=403,
                title="无权访问",
                message=f"{ROLE_NAMES[user.role]}账号无权进入「{title}」（限{allowed}）。",
            )
        return _render(request, name, user, title=title, **extra)

    pages.add_api_route(path, page, methods=["GET"], response_class=HTMLResponse, name=name)


@pages.get("/", response_class=HTMLResponse)
def home(request: Request, user: UserRow | None = Depends(optional_user)):
    return _render(request, "home.html", user, title="12345 政务服务便民热线")


@pages.get("/chat", response_class=HTMLResponse)
def chat(request: Request, user: UserRow | None = Depends(optional_user)):
    return _render(request, "chat.html", user, title="在线咨询")


@pages.get("/track", response_class=HTMLResponse)
def track(request: Request, user: UserRow | None = Depends(optional_user)):
    return _render(request, "track.html", user, title="查询工单", levels=LEVELS)


@pages.get("/login", response_class=HTMLResponse)
def login(request: Request, next: str | None = None, user: UserRow | None = Depends(optional_user)):
    return _render(request, "login.html", user, title="工作人员登录", next=_safe_next(next))


TASK_ACTION_LABELS = {
    "verify_rating": "差评核实",
    "dispute_rating": "差评申诉",
    "review_dispute": "申诉审核",
    "tell_result": "告知整改结果",
}
PAGE_DATA = {
    "states": STATES,
    "task_states": TASK_STATES,
    "levels": LEVELS,
    "actions": {name: step.label for name, step in ACTIONS.items()} | TASK_ACTION_LABELS,
    "roles": ROLE_NAMES | {"system": "系统"},
}
_staff_page("/agent", "agent.html", "坐席工作台", ("agent", "supervisor"), data=PAGE_DATA)
_staff_page("/unit", "unit.html", "承办单位工作台", ("unit",), data=PAGE_DATA)
_staff_page("/admin", "admin.html", "系统管理", ("admin",), data=PAGE_DATA)
_staff_page(
    "/analyst", "analyst.html", "统计分析", ("analyst", "supervisor", "admin"), data=PAGE_DATA
)
