"""Login, staff accounts (admin), and the knowledge base's entries (admin)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select

from hotline import auth
from hotline.api_cases import services_of
from hotline.auth import COOKIE, SESSION_LIFETIME, current_user, request_token, require
from hotline.tables import UserRow

api = APIRouter(prefix="/api/v1", tags=["staff"])


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    unit_id: str | None
    active: bool


class LoginOut(BaseModel):
    token: str
    csrf_token: str
    user: UserOut


@api.post("/auth/login", response_model=LoginOut)
def login(body: LoginIn, request: Request, response: Response):
    """Log in: sets the session cookie for pages and returns the token for API clients."""
    services = services_of(request)
    address = request.client.host if request.client else "unknown"
    try:
        with services.session() as session:
            found = auth.login(session, body.username, body.password, address, services.now())
    except auth.TooManyAttempts as exc:
        raise HTTPException(429, str(exc)) from None
    if found is None:  # the failed attempt is stored (the transaction committed)
        raise HTTPException(401, "用户名或密码错误")
    token, web, user = found
    out = LoginOut(
        token=token,
        csrf_token=web.csrf_token,
        user=UserOut.model_validate(user, from_attributes=True),
    )
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="strict",
        path="/",
    )
    return out


@api.post("/auth/logout", status_code=204)
def logout(request: Request, response: Response, user: UserRow = Depends(current_user)):
    token, _ = request_token(request)
    with services_of(request).session() as session:
        auth.logout(session, token)
    response.delete_cookie(COOKIE, path="/")


@api.get("/auth/me", response_model=UserOut)
def me(user: UserRow = Depends(current_user)):
    return UserOut.model_validate(user, from_attributes=True)


# -- users (admin) --------------------------------------------------------------------------------
class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=8, max_length=256)
    role: str
    display_name: str = Field(default="", max_length=64)
    unit_id: str | None = Field(default=None, max_length=32)


class UserPatch(BaseModel):
    active: bool | None = None
    password: str | None = Field(default=None, min_length=8, max_length=256)


@api.get("/users", response_model=list[UserOut])
def list_users(request: Request, user: UserRow = Depends(require("admin"))):
    with services_of(request).session() as session:
        rows = session.scalars(select(UserRow).order_by(UserRow.id))
        return [UserOut.model_validate(u, from_attributes=True) for u in rows]


@api.post("/users", response_model=UserOut, status_code=201)
def create_user(body: UserIn, request: Request, user: UserRow = Depends(require("admin"))):
    services = services_of(request)
    try:
        with services.session() as session:
            row = auth.create_user(
                session,
                body.username,
                body.password,
                body.role,
                body.display_name,
                body.unit_id,
                services.now(),
            )
            return UserOut.model_validate(row, from_attributes=True)
    except auth.AuthError as exc:
        raise HTTPException(422, str(exc)) from None


@api.patch("/users/{user_id}", response_model=UserOut)
def update_user(
    user_id: int, body: UserPatch, request: Request, user: UserRow = Depends(require("admin"))
):
    with services_of(request).session() as session:
        row = session.get(UserRow, user_id)
        if row is None:
            raise HTTPException(404, f"用户 {user_id} 不存在")
        if body.active is False and row.id == user.id:
            raise HTTPException(422, "不能停用自己的账号")
        if body.active is not None:
            row.active = body.active
        if body.password:
            row.password_hash = auth.hash_password(body.password)
        return UserOut.model_validate(row, from_attributes=True)


# -- knowledge base (admin) -----------------------------------------------------------------------
class EntryPage(BaseModel):
    total: int
    items: list[dict]


@api.get("/kb/entries", response_model=EntryPage, tags=["knowledge base"])
def list_entries(
    request: Request,
    q: str | None = Query(None, max_length=100),
    page: int = Query(1, ge=1),
    size: int = Query(20, ge=1, le=100),
    user: UserRow = Depends(require("admin", "agent", "supervisor")),
):
    kb = services_of(request).kb
    kb.refresh()
    entries = sorted(kb.entries.values(), key=lambda e: e.id)
    if q:
        entries = [e for e in entries if q in e.question or q in e.answer or q == e.id]
    chunk = entries[(page - 1) * size : page * size]
    return EntryPage(total=len(entries), items=[e.model_dump(mode="json") for e in chunk])


@api.put("/kb/entries/{entry_id}", tags=["knowledge base"])
def save_entry(
    entry_id: str, body: dict, request: Request, user: UserRow = Depends(require("admin"))
) -> dict:
    """Add or update one entry (only this entry is encoded again)."""
    from kb import Entry

    try:
        entry = Entry.model_validate({**body, "id": entry_id})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise HTTPException(422, f"{where}: {first['msg']}") from None
    services = services_of(request)
    codes = services.codes
    if entry.code and entry.code not in codes:
        raise HTTPException(422, f"code: {entry.code!r} is not in the code standard")
    kb = services.kb
    added, _ = kb.upsert([entry], editor=user.username)
    return {"id": entry_id, "added": bool(added), "entries": len(kb)}


@api.delete("/kb/entries/{entry_id}", status_code=204, tags=["knowledge base"])
def delete_entry(entry_id: str, request: Request, user: UserRow = Depends(require("admin"))):
    if not services_of(request).kb.delete([entry_id]):
        raise HTTPException(404, f"条目 {entry_id} 不存在")


@api.get("/codes", tags=["knowledge base"])
def list_codes(
    request: Request,
    level: int | None = Query(None, ge=1, le=3),
    user: UserRow = Depends(require("admin", "agent", "supervisor", "analyst")),
) -> list[dict]:
    """The appeal code standard (诉求分类与代码)."""
    codes = services_of(request).codes
    return [
        {"code": n.code, "name": n.name, "level": n.level, "parent": n.parent}
        for n in codes.nodes.values()
        if level is None or n.level == level
    ]
