import re

from fastapi.testclient import TestClient

from hotline.app import create_app
from hotline.db import head_revision, make_engine, prepare_database
from router import department_kinds


def client_for(settings) -> TestClient:
    prepare_database(make_engine(settings.db_url))
    return TestClient(create_app(settings))


def test_health_reports_database_schema_and_seed(settings):
    body = client_for(settings).get("/health").json()
    assert body["status"] == "ok"
    assert body["database"] == settings.db_url.split(":")[0].split("+")[0]
    assert body["schema_revision"] == head_revision()
    assert body["seed_version"] == "1"


def test_api_docs_are_served_without_any_cdn(settings):
    client = client_for(settings)
    page = client.get("/docs")
    assert page.status_code == 200
    assert "https://" not in page.text and "http://" not in page.text
    for asset in re.findall(r'(?:src|href)="([^"]+)"', page.text):
        assert client.get(asset).status_code == 200, asset
    spec = client.get("/openapi.json").json()
    assert "/api/v1/text/analyze" in spec["paths"]


def test_department_kinds_are_listed(settings):
    kinds = client_for(settings).get("/api/v1/department-kinds").json()
    names = {k["name"] for k in kinds}
    assert {"住房城乡建设", "综合属地", "供水供电供气"} <= names
    assert len(kinds) == len(department_kinds())


def test_text_analysis_masks_personal_data(settings):
    client = client_for(settings)
    res = client.post("/api/v1/text/analyze", json={"text": "噪音扰民，电话１３９１２３４５６７８"})
    assert res.status_code == 200
    body = res.json()
    assert body["masked"] == "噪音扰民,电话[手机号]"
    assert body["personal_data"] == [{"kind": "mobile", "start": 7, "end": 18}]
    assert "噪音扰民" in body["words"]


def test_bad_text_input_is_a_clear_4xx(settings):
    client = client_for(settings)
    for payload in [{"text": ""}, {"text": 123}, {}, {"text": "长" * 20_001}]:
        res = client.post("/api/v1/text/analyze", json=payload)
        assert res.status_code == 422, payload
        assert res.json()["detail"].startswith("body")  # the field, then what is wrong
        assert res.json()["errors"][0]["msg"]
    res = client.post(
        "/api/v1/text/analyze", content=b"not json", headers={"content-type": "application/json"}
    )
    assert res.status_code == 422
