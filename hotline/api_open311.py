"""Open311 GeoReport v2 (JSON): the standard civic apps speak, mapped onto our codes and cases.

Services are the level-2 codes of the code standard; a request is a case (channel ``open311``)
whose ``service_request_id`` is the case number. Contact data is stored only with
``attribute[consent]=true``. Status is ``open`` until the case is replied, then ``closed``; the
description shown publicly has personal data masked.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Form, HTTPException, Request
from sqlalchemy import select

from classifier import mask_pii
from hotline.api_cases import MAX_TEXT, services_of
from hotline.tables import CaseEvent, CaseRow, UnitRow
from router.cases import Actor

api = APIRouter(prefix="/open311/v2", tags=["Open311 GeoReport v2"])


def _service(node) -> dict:
    return {
        "service_code": node.code,
        "service_name": node.name,
        "description": node.description or node.name,
        "metadata": False,
        "type": "realtime",
        "keywords": ",".join(node.keywords),
        "group": node.parent,
    }


@api.get("/services.json")
def services(request: Request) -> list[dict]:
    return [_service(n) for n in services_of(request).codes.level(2)]


@api.get("/services/{service_code}.json")
def service_definition(service_code: str, request: Request) -> dict:
    codes = services_of(request).codes
    if service_code not in codes:
        raise HTTPException(404, f"service_code {service_code!r} not found")
    return {"service_code": service_code, "attributes": []}


@api.post("/requests.json", status_code=201)
def post_request(
    request: Request,
    service_code: str = Form(..., max_length=16),
    description: str = Form(..., min_length=1, max_length=MAX_TEXT),
    address_string: str = Form("", max_length=200),
    lat: float | None = Form(None, ge=-90, le=90),
    long: float | None = Form(None, ge=-180, le=180),
    first_name: str = Form("", max_length=32),
    last_name: str = Form("", max_length=32),
    phone: str = Form("", max_length=32),
    email: str = Form("", max_length=100),
    consent: str = Form("", alias="attribute[consent]"),
) -> list[dict]:
    services_ = services_of(request)
    if service_code not in services_.codes:
        raise HTTPException(
            400, f"service_code {service_code!r} is not a service (GET services.json)"
        )
    given = bool(first_name or last_name or phone or email)
    agreed = consent.lower() in ("true", "1", "yes")
    if given and not agreed:
        raise HTTPException(
            400, "contact data needs attribute[consent]=true (the citizen's consent)"
        )
    where = address_string or (f"{lat},{long}" if lat is not None and long is not None else "")
    body = description.strip() + (f"\n地址：{where}" if where else "")
    with services_.session() as session:
        case, code = services_.desk(session).create(
            Actor("open311", "system"),
            body=body,
            channel="open311",
            code=service_code,
            caller_name=f"{last_name}{first_name}",
            caller_phone=phone or email,
            consent=agreed,
            place=address_string[:64],
        )
        return [
            {
                "service_request_id": case.number,
                "account_id": None,
                "service_notice": f"已受理。查询码 {code}，请保存，凭工单号和查询码查询进度。",
            }
        ]


def _status(services_, session, case: CaseRow) -> dict:
    unit = session.get(UnitRow, case.lead_unit_id) if case.lead_unit_id else None
    last = session.scalar(
        select(CaseEvent.at)
        .where(CaseEvent.case_id == case.id)
        .order_by(CaseEvent.id.desc())
        .limit(1)
    )
    codes = services_.codes
    closed = case.state in ("replied", "followed_up", "closed", "merged")
    return {
        "service_request_id": case.number,
        "status": "closed" if closed else "open",
        "status_notes": case.reply if closed else "",
        "service_code": case.code,
        "service_name": codes[case.code].name if case.code in codes else "",
        "description": mask_pii(case.body),
        "agency_responsible": unit.name if unit else "",
        "requested_datetime": _iso(case.received_at),
        "updated_datetime": _iso(last),
        "expected_datetime": _iso(case.due_at),
        "address": case.place,
    }


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


@api.get("/requests/{request_id}.json")
def get_request(request_id: str, request: Request) -> list[dict]:
    services_ = services_of(request)
    with services_.session() as session:
        case = session.scalar(select(CaseRow).where(CaseRow.number == request_id))
        if case is None:
            raise HTTPException(404, f"service_request_id {request_id!r} not found")
        return [_status(services_, session, case)]
