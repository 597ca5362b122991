"""Online chat (在线咨询): the knowledge base answers when it is sure, otherwise the chat waits
for a person (转人工) who sees the whole conversation; the caller can file an appeal from it."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from hotline.api_cases import MAX_TEXT, Created, actor_of, services_of
from hotline.auth import require
from hotline.services import Services
from hotline.tables import CaseRow, ChatMessage, ChatRow, UserRow
from router.cases import Actor

api = APIRouter(prefix="/api/v1/chats", tags=["chat"])
GREETING = (
    "您好，这里是 12345 政务服务便民热线在线咨询。请直接描述您的问题，我会先从知识库为您查找答案。"
)
HANDOFF = {
    "low_score": "这个问题我没有把握回答准确，正在为您转接人工客服，请稍候。",
    "ambiguous": "您的问题可能对应几种不同的情况，正在为您转接人工客服确认，请稍候。",
    "expired": "相关政策已经更新，正在为您转接人工客服，请稍候。",
    "empty": "知识库中没有找到相关内容，正在为您转接人工客服，请稍候。",
    "asked_for_person": "好的，正在为您转接人工客服，请稍候。",
}
EMERGENCY = "您描述的情况可能危及人身安全，请立即拨打 {service}。同时已为您转接人工客服。"


class ChatStarted(BaseModel):
    chat_id: int
    token: str
    messages: list[dict]


class MessageIn(BaseModel):
    text: str = Field(min_length=1, max_length=2000)


class ChatView(BaseModel):
    chat_id: int
    state: str
    handoff_reason: str
    case_number: str | None
    messages: list[dict]


class AppealIn(BaseModel):
    title: str = Field(default="", max_length=200)
    body: str = Field(default="", max_length=MAX_TEXT)  # empty: the caller's chat messages
    caller_name: str = Field(default="", max_length=64)
    caller_phone: str = Field(default="", max_length=32)
    consent: bool = False


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _message(m: ChatMessage) -> dict:
    return {
        "id": m.id,
        "sender": m.sender,
        "text": m.text,
        "source": m.source,
        "at": m.at.isoformat(),
    }


def _say(
    session, services: Services, chat: ChatRow, sender: str, text: str, source: str = ""
) -> None:
    now = services.now()
    session.add(ChatMessage(chat_id=chat.id, sender=sender, text=text, source=source, at=now))
    chat.updated_at = now


def _caller_chat(session, chat_id: int, token: str | None) -> ChatRow:
    chat = session.get(ChatRow, chat_id)
    if chat is None or not token or not hmac.compare_digest(chat.token_hash, _sha(token)):
        raise HTTPException(404, "会话不存在或令牌不正确")
    return chat


def _chat(session, chat_id: int) -> ChatRow:
    """A chat for staff, by its id (404 when there is none)."""
    chat = session.get(ChatRow, chat_id)
    if chat is None:
        raise HTTPException(404, f"会话 {chat_id} 不存在")
    return chat


def _view(session, chat: ChatRow, after: int = 0) -> ChatView:
    rows = session.scalars(
        select(ChatMessage)
        .where(ChatMessage.chat_id == chat.id, ChatMessage.id > after)
        .order_by(ChatMessage.id)
    )
    case = session.get(CaseRow, chat.case_id) if chat.case_id else None
    return ChatView(
        chat_id=chat.id,
        state=chat.state,
        handoff_reason=chat.handoff_reason,
        case_number=case.number if case else None,
        messages=[_message(m) for m in rows],
    )


@api.post("", response_model=ChatStarted, status_code=201)
def start_chat(request: Request):
    """A new chat; keep ``token``: it is needed (header X-Chat-Token) for everything after."""
    services = services_of(request)
    token = secrets.token_urlsafe(24)
    with services.session() as session:
        now = services.now()
        chat = ChatRow(
            token_hash=_sha(token), state="bot", handoff_reason="", created_at=now, updated_at=now
        )
        session.add(chat)
        session.flush()
        _say(session, services, chat, "bot", GREETING)
        session.flush()
        return ChatStarted(chat_id=chat.id, token=token, messages=_view(session, chat).messages)


@api.post("/{chat_id}/messages", response_model=ChatView)
def caller_says(
    chat_id: int, body: MessageIn, request: Request, x_chat_token: str | None = Header(None)
):
    """The caller writes; while no person has taken over, the bot answers or hands off."""
    services = services_of(request)
    with services.session() as session:
        chat = _caller_chat(session, chat_id, x_chat_token)
        if chat.state == "closed":
            raise HTTPException(409, "会话已结束，请重新发起咨询")
        seen = (
            session.scalar(
                select(ChatMessage.id)
                .where(ChatMessage.chat_id == chat.id)
                .order_by(ChatMessage.id.desc())
                .limit(1)
            )
            or 0
        )
        _say(session, services, chat, "caller", body.text.strip())
        if chat.state == "bot":
            _bot_turn(session, services, chat, body.text)
        session.flush()
        return _view(session, chat, seen)


def _bot_turn(session, services: Services, chat: ChatRow, text: str) -> None:
    kb = services.kb
    kb.refresh()
    reply = kb.reply(text)
    if reply.answered:
        entry = reply.entry
        source = f"{entry.source or '知识库'}（条目 {entry.id}）"
        _say(session, services, chat, "bot", entry.answer, source)
        return
    chat.state, chat.handoff_reason = "waiting", reply.reason
    if reply.reason == "emergency":
        from classifier.triage import urgency_of

        service = urgency_of(text)[2] or "110"
        _say(session, services, chat, "bot", EMERGENCY.format(service=service))
    else:
        _say(session, services, chat, "bot", HANDOFF.get(reply.reason, HANDOFF["low_score"]))


@api.get("/{chat_id}/messages", response_model=ChatView)
def caller_reads(
    chat_id: int,
    request: Request,
    after: int = Query(0, ge=0),
    x_chat_token: str | None = Header(None),
):
    """New messages since ``after`` (the page polls this while a person answers)."""
    services = services_of(request)
    with services.session() as session:
        return _view(session, _caller_chat(session, chat_id, x_chat_token), after)


@api.post("/{chat_id}/handoff", response_model=ChatView)
def ask_for_person(chat_id: int, request: Request, x_chat_token: str | None = Header(None)):
    services = services_of(request)
    with services.session() as session:
        chat = _caller_chat(session, chat_id, x_chat_token)
        if chat.state == "bot":
            chat.state, chat.handoff_reason = "waiting", "asked_for_person"
            _say(session, services, chat, "bot", HANDOFF["asked_for_person"])
        session.flush()
        return _view(session, chat)


@api.post("/{chat_id}/appeal", response_model=Created, status_code=201)
def file_appeal(
    chat_id: int, body: AppealIn, request: Request, x_chat_token: str | None = Header(None)
):
    """The caller files an appeal from the chat; contact data only with consent."""
    services = services_of(request)
    with services.session() as session:
        chat = _caller_chat(session, chat_id, x_chat_token)
        if chat.case_id:
            raise HTTPException(409, "本次会话已提交过诉求")
        text = body.body.strip() or "\n".join(
            session.scalars(
                select(ChatMessage.text)
                .where(ChatMessage.chat_id == chat.id, ChatMessage.sender == "caller")
                .order_by(ChatMessage.id)
            )
        )
        if not text:
            raise HTTPException(422, "请先描述您的诉求")
        case, code = services.desk(session).create(
            Actor("来电人", "caller"),
            body=text,
            title=body.title,
            channel="chat",
            caller_name=body.caller_name,
            caller_phone=body.caller_phone,
            consent=body.consent,
        )
        chat.case_id = case.id
        _say(
            session,
            services,
            chat,
            "system",
            f"诉求已受理，工单号 {case.number}，查询码 {code}。"
            "请妥善保存，可凭工单号和查询码查看办理进度并评价。",
        )
        return Created(number=case.number, access_code=code, state=case.state)


# -- the agent's side -------------------------------------------------------------------------
class ChatSummary(BaseModel):
    chat_id: int
    state: str
    handoff_reason: str
    waiting_since: datetime
    last_message: str
    agent: str | None


@api.get("", response_model=list[ChatSummary])
def chat_queue(
    request: Request,
    state: str = Query("waiting", pattern="^(waiting|agent|bot)$"),
    user: UserRow = Depends(require("agent", "supervisor")),
):
    """Chats waiting for a person (oldest first), or those being answered."""
    services = services_of(request)
    with services.session() as session:
        chats = session.scalars(
            select(ChatRow).where(ChatRow.state == state).order_by(ChatRow.updated_at).limit(100)
        )
        out = []
        for chat in chats:
            last = session.scalar(
                select(ChatMessage.text)
                .where(ChatMessage.chat_id == chat.id, ChatMessage.sender == "caller")
                .order_by(ChatMessage.id.desc())
                .limit(1)
            )
            agent = session.get(UserRow, chat.agent_id) if chat.agent_id else None
            out.append(
                ChatSummary(
                    chat_id=chat.id,
                    state=chat.state,
                    handoff_reason=chat.handoff_reason,
                    waiting_since=chat.updated_at,
                    last_message=last or "",
                    agent=agent.display_name if agent else None,
                )
            )
        return out


@api.get("/{chat_id}", response_model=ChatView)
def chat_for_agent(
    chat_id: int, request: Request, user: UserRow = Depends(require("agent", "supervisor"))
):
    services = services_of(request)
    with services.session() as session:
        chat = _chat(session, chat_id)
        return _view(session, chat)


@api.post("/{chat_id}/claim", response_model=ChatView)
def claim_chat(chat_id: int, request: Request, user: UserRow = Depends(require("agent"))):
    """An agent takes a waiting chat; the conversation so far comes with it."""
    services = services_of(request)
    with services.session() as session:
        chat = _chat(session, chat_id)
        if chat.state != "waiting":
            raise HTTPException(409, f"会话 {chat_id} 已由其他坐席接入或已结束")
        chat.state, chat.agent_id = "agent", user.id
        _say(session, services, chat, "system", f"人工客服 {user.display_name} 已接入")
        session.flush()
        return _view(session, chat)


@api.post("/{chat_id}/agent-messages", response_model=ChatView)
def agent_says(
    chat_id: int, body: MessageIn, request: Request, user: UserRow = Depends(require("agent"))
):
    services = services_of(request)
    with services.session() as session:
        chat = session.get(ChatRow, chat_id)
        if chat is None or chat.state != "agent" or chat.agent_id != user.id:
            raise HTTPException(409, "请先接入该会话")
        _say(session, services, chat, "agent", body.text.strip())
        session.flush()
        return _view(session, chat)


@api.post("/{chat_id}/close", response_model=ChatView)
def close_chat(chat_id: int, request: Request, user: UserRow = Depends(require("agent"))):
    services = services_of(request)
    with services.session() as session:
        chat = _chat(session, chat_id)
        chat.state = "closed"
        _say(session, services, chat, "system", f"会话已由 {actor_of(user).name} 结束")
        session.flush()
        return _view(session, chat)
