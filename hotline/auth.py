"""Staff accounts, logins and roles.

Passwords are argon2 hashes. A login gives a random token: browsers keep it in an HttpOnly,
SameSite=Strict cookie, API clients send it as ``Authorization: Bearer``; the database stores only
its SHA-256. Requests that change something with the cookie must also carry the session's CSRF
token in ``X-CSRF-Token`` (pages put it in a meta tag). Five failed logins in ten minutes for one
user name, or twenty from one address, lock further tries for the rest of the window.
Callers never log in: they hold a chat token or a case number with its access code.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, HTTPException, Request
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from hotline.tables import LoginAttempt, UnitRow, UserRow, WebSession

STAFF_ROLES = ("agent", "supervisor", "unit", "analyst", "admin")
ROLE_NAMES = {
    "agent": "坐席",
    "supervisor": "值班长",
    "unit": "承办单位",
    "analyst": "分析员",
    "admin": "管理员",
    "caller": "来电人",
}
SESSION_LIFETIME = timedelta(hours=12)
WINDOW = timedelta(minutes=10)
MAX_USER_FAILURES = 5
MAX_ADDRESS_FAILURES = 20
COOKIE = "hotline_session"
MIN_PASSWORD = 8
_hasher = PasswordHasher()


class AuthError(ValueError):
    pass


class TooManyAttempts(AuthError):
    pass


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AuthError(f"密码至少 {MIN_PASSWORD} 位")
    return _hasher.hash(password)


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    display_name: str,
    unit_id: str | None,
    now: datetime,
) -> UserRow:
    username = username.strip()
    if not username or len(username) > 64:
        raise AuthError("用户名须为 1-64 个字符")
    if role not in STAFF_ROLES:
        raise AuthError(f"角色须为 {', '.join(STAFF_ROLES)} 之一")
    if (role == "unit") != bool(unit_id):
        raise AuthError("承办单位账号须指定单位，其他角色不指定")
    if unit_id and session.get(UnitRow, unit_id) is None:
        raise AuthError(f"单位 {unit_id} 不在部门目录中")
    if session.scalar(select(UserRow).where(UserRow.username == username)):
        raise AuthError(f"用户名 {username} 已存在")
    user = UserRow(
        username=username,
        display_name=display_name.strip() or username,
        role=role,
        unit_id=unit_id,
        password_hash=hash_password(password),
        active=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def _failures(session: Session, key: str, since: datetime) -> int:
    query = select(func.count()).where(LoginAttempt.key == key, LoginAttempt.at > since)
    return session.scalar(query) or 0


def login(
    session: Session, username: str, password: str, address: str, now: datetime
) -> tuple[str, WebSession, UserRow] | None:
    """A new session's token, the session and its user; None for a wrong name or password (the
    failure is recorded in ``session``: commit it); TooManyAttempts while locked out."""
    user_key, address_key = f"user:{username.strip().lower()}"[:128], f"addr:{address}"[:128]
    since = now - WINDOW
    if (
        _failures(session, user_key, since) >= MAX_USER_FAILURES
        or _failures(session, address_key, since) >= MAX_ADDRESS_FAILURES
    ):
        raise TooManyAttempts("登录失败次数过多，请 10 分钟后再试")
    user = session.scalar(select(UserRow).where(UserRow.username == username.strip()))
    try:
        ok = user is not None and user.active and _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        session.add_all([LoginAttempt(key=user_key, at=now), LoginAttempt(key=address_key, at=now)])
        return None
    session.execute(delete(LoginAttempt).where(LoginAttempt.key == user_key))
    token = secrets.token_urlsafe(32)
    web = WebSession(
        token_hash=_sha(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(24),
        expires_at=now + SESSION_LIFETIME,
    )
    session.add(web)
    return token, web, user


def logout(session: Session, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == _sha(token)))


def session_of(session: Session, token: str, now: datetime) -> tuple[UserRow, WebSession] | None:
    web = session.get(WebSession, _sha(token))
    if web is None or web.expires_at < now:
        return None
    user = session.get(UserRow, web.user_id)
    return (user, web) if user is not None and user.active else None


# -- FastAPI dependencies -------------------------------------------------------------------------
_SAFE = ("GET", "HEAD", "OPTIONS")


def request_token(request: Request) -> tuple[str | None, bool]:
    """The session token and whether it came from the cookie (which needs the CSRF check)."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip(), False
    return request.cookies.get(COOKIE), True


def optional_user(request: Request) -> UserRow | None:
    token, from_cookie = request_token(request)
    if not token:
        return None
    services = request.app.state.services
    with services.session() as session:
        found = session_of(session, token, services.now())
        if found is None:
            return None
        user, web = found
        session.expunge(user)
    if from_cookie and request.method not in _SAFE:
        sent = request.headers.get("x-csrf-token", "")
        if not hmac.compare_digest(sent, web.csrf_token):
            raise HTTPException(403, "缺少或错误的 CSRF 令牌（X-CSRF-Token），请刷新页面后重试")
    request.state.csrf_token = web.csrf_token
    return user


def current_user(user: UserRow | None = Depends(optional_user)) -> UserRow:
    if user is None:
        raise HTTPException(401, "请先登录")
    return user


def require(*roles: str):
    """A dependency that lets only ``roles`` through (403 with the roles named otherwise)."""

    def check(user: UserRow = Depends(current_user)) -> UserRow:
        if user.role not in roles:
            allowed = "、".join(ROLE_NAMES[r] for r in roles)
            raise HTTPException(403, f"{ROLE_NAMES[user.role]}无权进行此操作（限{allowed}）")
        return user

    return check
