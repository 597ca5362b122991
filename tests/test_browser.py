"""The web pages: every page for its role (no browser), then the whole loop in Debian's Chromium
against the installed ``hotline serve``: a caller asks the bot, asks for a person and files an
appeal; an agent takes the chat and dispatches the case with the suggested unit; the unit
accepts and replies; the caller rates 不满意 and the agent sees the rectification task.

Screenshots of every workspace go to ``$HOTLINE_SCREENSHOTS`` (default ``build/screenshots``).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from hotline.app import create_app
from hotline.db import make_engine, prepare_database, session_scope
from hotline.demo import seed_users
from hotline.settings import Settings

ROOT = Path(__file__).parents[1]
HOTLINE = shutil.which("hotline") or str(Path(sys.executable).parent / "hotline")
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "demo-pass-2026"
PAGES = {  # path: the roles that may open it
    "/agent": ("agent01", "lead01"),
    "/unit": ("dh-zj", "water"),
    "/admin": ("admin",),
    "/analyst": ("analyst01", "lead01", "admin"),
}
APPEAL = "东湖区金色家园小区3号楼电梯坏了半个月，物业一直不修，老人上下楼很困难。电话13800001234"


# -- pages by role, without a browser -------------------------------------------------------------
@pytest.fixture
def app(tmp_path, cache_dir):
    settings = Settings(
        data_dir=tmp_path / "data", cache_dir=cache_dir, threads=2, timer_interval=0
    )
    engine = make_engine(settings.db_url)
    prepare_database(engine)
    with session_scope(engine) as s:
        seed_users(s, datetime.now(), settings.data_dir, PASSWORD)
    engine.dispose()
    return create_app(settings)


def login(app, username: str) -> TestClient:
    c = TestClient(app)
    r = c.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return c


def test_every_page_answers_its_roles_and_sends_others_away(app):
    anonymous = TestClient(app)
    for path in ("/", "/chat", "/track", "/login"):
        page = anonymous.get(path)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"], path
    for path in PAGES:
        away = anonymous.get(path, follow_redirects=False)
        assert away.status_code == 303 and away.headers["location"] == f"/login?next={path}"
    for path, users in PAGES.items():
        for username in users:
            page = login(app, username).get(path)
            assert page.status_code == 200, (path, username)
            csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
            assert csrf, f"{path} for {username} carries no CSRF token"
    refused = login(app, "dh-zj").get("/admin")
    assert refused.status_code == 403 and "无权" in refused.text
    assert login(app, "agent01").get("/analyst").status_code == 403
    # only a path on this site is followed after login
    assert 'data-next=""' in anonymous.get("/login?next=//evil.example/x").text
    assert 'data-next="/unit"' in anonymous.get("/login?next=/unit").text


def test_pages_load_nothing_from_outside(app):
    client = TestClient(app)
    folder = ROOT / "hotline"
    for path in [*(folder / "templates").iterdir(), *(folder / "static").iterdir()]:
        text = path.read_text("utf-8")
        outside = re.findall(
            r"""(?:src|href)=["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//""", text
        )
        assert not outside, f"{path.name} loads from outside: {outside}"
        if path.parent.name == "static":
            assert client.get(f"/static/{path.name}").status_code == 200


# -- the whole loop in Chromium -------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory, cache_dir):
    data = tmp_path_factory.mktemp("browser-data")
    port = _free_port()
    env = {**os.environ, "HOTLINE_DATA_DIR": str(data), "HOTLINE_CACHE_DIR": str(cache_dir),
           "HOTLINE_DEMO_PASSWORD": PASSWORD, "HOTLINE_TIMER_INTERVAL": "0",
           "HOTLINE_THREADS": "2"}  # fmt: skip
    env.pop("HOTLINE_DATABASE_URL", None)
    log = (data / "server.log").open("w")
    proc = subprocess.Popen(
        [HOTLINE, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 240
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                pytest.fail(f"hotline serve did not start:\n{(data / 'server.log').read_text()}")
            time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need Debian's Chromium "
                    "(apt-get install chromium); Playwright downloads no browser here")  # fmt: skip
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def shots() -> Path:
    folder = Path(os.environ.get("HOTLINE_SCREENSHOTS") or ROOT / "build" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Person:
    """One browser context (its own cookies and sessionStorage) with the page's errors kept."""

    def __init__(self, browser, base: str, username: str | None = None):
        self.context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        self.context.set_default_timeout(30_000)
        self.page = self.context.new_page()
        self.base = base
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        if username:
            self.page.goto(f"{base}/login")
            self.page.fill("input[name=username]", username)
            self.page.fill("input[name=password]", PASSWORD)
            self.page.click("#login button[type=submit]")
            self.page.wait_for_url(re.compile(r"/(agent|unit|admin|analyst)$"))

    def go(self, path: str):
        self.page.goto(f"{self.base}{path}")
        return self.page

    def shot(self, path: Path) -> None:
        """A screenshot once the notices have faded."""
        from playwright.sync_api import expect

        expect(self.page.locator(".toast")).to_have_count(0, timeout=10_000)
        self.page.screenshot(path=path)


@pytest.mark.browser
def test_caller_agent_unit_and_rating_in_the_browser(server, browser, shots):
    from playwright.sync_api import expect

    # A caller asks the bot, which answers from the knowledge base and names its source.
    caller = Person(browser, server)
    page = caller.go("/chat")
    expect(page.locator(".msg.bot").first).to_be_visible()
    page.fill("#text", "社保卡丢了怎么补办")
    page.click("#send")
    answer = page.locator(".msg.bot .source")
    expect(answer).to_contain_text("来源：")
    expect(answer).to_contain_text("条目")
    # ... asks for a person, then files an appeal with contact data and consent.
    page.click("#handoff")
    expect(page.locator("#status")).to_contain_text("正在为您转接人工客服")
    page.fill("#appeal [name=title]", "金色家园小区电梯坏了")
    page.fill("#appeal [name=body]", APPEAL)
    page.fill("#appeal [name=caller_name]", "张先生")
    page.fill("#appeal [name=caller_phone]", "13800001234")
    page.click("#appeal button[type=submit]")  # without consent: refused on the page
    expect(page.locator(".toast.error")).to_contain_text("同意将联系方式用于办理本诉求")
    page.check("#consent")
    page.click("#appeal button[type=submit]")
    expect(page.locator("#receipt")).to_be_visible()
    number = page.locator("#r-number").inner_text().strip()
    access = page.locator("#r-code").inner_text().strip()
    assert re.fullmatch(r"\d{14}", number) and len(access) == 6
    chat_id = page.evaluate("JSON.parse(sessionStorage.getItem('hotline_chat')).chat_id")

    # An agent sees the chat waiting, takes it and answers; the caller's page shows the reply.
    agent = Person(browser, server, "agent01")
    console = agent.page
    assert console.url.endswith("/agent")
    console.click(f"[data-chat='{chat_id}']")
    expect(console.locator("#chat-log")).to_contain_text("社保卡丢了怎么补办")
    console.click("#claim")
    console.fill("#chat-text", "您好，我是人工客服，您的电梯问题已受理，我们会尽快派单。")
    console.press("#chat-text", "Enter")
    expect(page.locator(".msg.agent")).to_contain_text("人工客服")
    expect(page.locator("#status")).to_contain_text("人工客服已接入")
    caller.shot(shots / "chat.png")

    # The new case waits under 待派单 with the suggested unit and its reason.
    console.click("#tabs [data-tab=received]")
    console.click(f"[data-case='{number}']")
    guess = console.locator("#dispatch-guess")
    expect(guess).to_contain_text("->", timeout=60_000)
    expect(console.locator("#side")).to_contain_text("建议承办单位")
    if console.locator("#dispatch-unit").input_value() != "D-DH-ZJ":
        console.select_option("#dispatch-unit", "D-DH-ZJ")
    assert console.locator("#dispatch-code").input_value()  # the suggested code, confirmed
    console.click("[data-act=dispatch]")
    expect(console.locator("#view-case .case-head")).to_contain_text("已派单待签收")
    expect(console.locator("#view-case .facts")).not_to_contain_text("未分类")
    expect(console.locator("#view-case")).to_contain_text("示例市东湖区住房和城乡建设局")

    # Typing a new case shows the suggestions live (not saved).
    console.click("#to-new")
    console.fill("#new-case [name=title]", "楼上装修噪音")
    console.fill(
        "#new-case [name=body]",
        "湖滨街道幸福里小区5栋楼上天天晚上十点以后还在装修，电钻声吵得孩子没法睡觉，"
        "我的电话13912345678，希望有关部门管一管。",
    )
    expect(console.locator("#suggested-unit")).not_to_be_empty(timeout=60_000)
    expect(console.locator("#pii")).to_contain_text("13912345678")
    expect(console.locator("#side .conf")).to_have_count(3)
    agent.shot(shots / "agent.png")

    # The unit accepts and replies.
    unit = Person(browser, server, "dh-zj")
    inbox = unit.page
    inbox.click(f"#list [data-case='{number}']")
    expect(inbox.locator("#panel")).to_contain_text("申请退回")
    unit.shot(shots / "unit.png")
    inbox.click("[data-act=accept]")
    expect(inbox.locator("#panel .case-head")).to_contain_text("已签收")
    inbox.fill("#reply-text", "已约谈物业公司，3号楼电梯已于今日修复并通过检验。")
    inbox.click("[data-act=reply]")
    expect(inbox.locator("#panel .case-head")).to_contain_text("已答复待回访")

    # The caller looks the case up and rates it 不满意.
    track = caller.go("/track")
    track.fill("#lookup [name=number]", number)
    track.fill("#lookup [name=access_code]", access)
    track.click("#lookup button[type=submit]")
    expect(track.locator("#c-reply")).to_contain_text("电梯已于今日修复")
    track.click("#levels [data-level='4']")
    track.fill("#comment", "电梯修好两天又坏了")
    caller.shot(shots / "track.png")
    track.click("#submit-rating")
    expect(track.locator("#c-rating")).to_contain_text("不满意")
    expect(track.locator("#rate")).to_be_hidden()

    # The agent finds the rectification task waiting for its verification call.
    console.click("#tabs [data-tab=rect]")
    item = console.locator(f"#queue [data-case='{number}']")
    expect(item).to_contain_text("待核实")
    item.click()
    expect(console.locator("#view-case")).to_contain_text("差评核实")
    agent.shot(shots / "agent-rectification.png")

    # Someone else changes the case first: the stale page gets a clear 409 and reloads.
    api = httpx.Client(base_url=server, timeout=30)
    token = api.post(
        "/api/v1/auth/login", json={"username": "agent02", "password": PASSWORD}
    ).json()["token"]
    done = api.post(
        f"/api/v1/cases/{number}/actions/follow_up",
        json={"note": "已电话回访"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert done.status_code == 200, done.text
    console.fill("#follow-note", "回访来电人，电梯仍有故障")
    console.click("[data-act=follow_up]")
    conflict = console.locator("#conflict")
    expect(conflict).to_contain_text("修改")
    conflict.locator("button").click()
    expect(console.locator("#view-case .case-head")).to_contain_text("已回访")

    # The other workspaces, for the screenshots.
    admin = Person(browser, server, "admin")
    expect(admin.page.locator("#kb-rows tr").first).to_be_visible()
    admin.shot(shots / "admin.png")
    analyst = Person(browser, server, "analyst01")
    expect(analyst.page.locator("#fig-rows tr").first).to_be_visible()
    expect(analyst.page.locator("#case-rows")).to_contain_text("[手机号]")
    expect(analyst.page.locator("#case-rows")).not_to_contain_text("13800001234")
    analyst.shot(shots / "analyst.png")
    # The dashboard with its charts drawn, in a window tall enough to show all of it.
    dash = analyst.page
    dash.set_viewport_size({"width": 1440, "height": 1900})
    for chart in ("#c-trend", "#c-pie", "#c-code", "#c-region"):
        expect(dash.locator(f"{chart} canvas")).to_have_count(1)
    topic = dash.locator("#topics li[data-topic]").first
    expect(topic).to_be_visible(timeout=60_000)
    topic.click()  # drill down to the topic's cases, masked
    expect(dash.locator("#drill-rows td.mono").first).to_be_visible()
    expect(dash.locator("#drill-rows")).not_to_contain_text("13800001234")
    dash.click("#drill-close")
    dash.wait_for_timeout(600)  # the charts' entry animation
    analyst.shot(shots / "dashboard.png")
    caller.go("/")
    caller.shot(shots / "home.png")

    for person in (caller, agent, unit, admin, analyst):
        assert not person.errors, person.errors
        person.context.close()
