"""Load test: agents typing (suggestions) and callers chatting, against a running server.

Starts ``hotline serve --workers 2`` on PostgreSQL (a schema of its own in the test database),
then runs two scenarios with an asyncio HTTP client on the same machine:
- agents: N agents each ask for suggestions as they type, one request per ``think`` seconds
  (the console debounces keystrokes), texts growing like a call being typed up;
- callers: N callers each chat with the bot, one question per ``think`` seconds, a new chat
  after a hand-off.
Reports p50/p95 of the server-side time (the app's Server-Timing header, what the goal is
about) and of the client-side time (which includes the load generator sharing the 2 cores),
throughput and errors.

    python -m eval.load_test [--agents 20] [--callers 50] [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

import httpx
import numpy as np

from eval.pg_schema import scratch_schema

PASSWORD = "load-test-2026"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _texts() -> tuple[list[str], list[str]]:
    """Appeal texts (the demo cases) and caller questions (the demo FAQ's own wordings)."""
    cases = resources.files("hotline").joinpath("resources", "demo_cases.csv").read_text("utf-8")
    appeals = [r["body"] for r in csv.DictReader(cases.splitlines())]
    faq = resources.files("kb").joinpath("resources", "demo_kb.csv").read_text("utf-8")
    questions = []
    for row in csv.DictReader(faq.splitlines()):
        questions += [q for q in (row.get("similar_questions") or "").split("|") if q]
    return appeals, questions


class Recorder:
    def __init__(self):
        self.server: list[float] = []
        self.client: list[float] = []
        self.errors: list[str] = []

    def add(self, response: httpx.Response, started: float) -> None:
        self.client.append((time.perf_counter() - started) * 1000)
        if response.status_code >= 400:
            self.errors.append(f"{response.status_code} {response.text[:100]}")
            return
        timing = response.headers.get("server-timing", "")
        if "dur=" in timing:
            self.server.append(float(timing.split("dur=")[1]))

    def line(self, name: str, seconds: float) -> str:
        s, c = np.array(self.server), np.array(self.client)
        return (f"| {name} | {len(c)} | {len(c) / seconds:.1f} | {np.percentile(s, 50):.0f} / "
                f"{np.percentile(s, 95):.0f} | {np.percentile(c, 50):.0f} / "
                f"{np.percentile(c, 95):.0f} | {len(self.errors)} |")  # fmt: skip


async def _agent(client: httpx.AsyncClient, token: str, appeals: list[str], until: float,
                 think: float, rec: Recorder, rng: random.Random) -> None:  # fmt: skip
    headers = {"Authorization": f"Bearer {token}"}
    await asyncio.sleep(rng.random() * think)
    while time.perf_counter() < until:
        appeal = rng.choice(appeals)
        for cut in (len(appeal) // 3, 2 * len(appeal) // 3, len(appeal)):  # typing it up
            if time.perf_counter() >= until:
                return
            started = time.perf_counter()
            r = await client.post("/api/v1/suggest", json={"body": appeal[:cut]}, headers=headers)
            rec.add(r, started)
            await asyncio.sleep(think * (0.5 + rng.random()))


async def _caller(client: httpx.AsyncClient, questions: list[str], until: float, think: float,
                  rec: Recorder, rng: random.Random) -> None:  # fmt: skip
    await asyncio.sleep(rng.random() * think)
    chat = None
    while time.perf_counter() < until:
        if chat is None:
            chat = (await client.post("/api/v1/chats")).json()
        started = time.perf_counter()
        r = await client.post(f"/api/v1/chats/{chat['chat_id']}/messages",
                              json={"text": rng.choice(questions)},
                              headers={"X-Chat-Token": chat["token"]})  # fmt: skip
        rec.add(r, started)
        if r.status_code == 200 and r.json()["state"] != "bot":
            chat = None  # handed to a person: this caller starts over
        await asyncio.sleep(think * (0.5 + rng.random()))


async def _scenario(base: str, kind: str, n: int, seconds: float, think: float) -> Recorder:
    appeals, questions = _texts()
    rec, limits = Recorder(), httpx.Limits(max_connections=n + 5)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        token = ""
        if kind == "agents":
            r = await client.post("/api/v1/auth/login",
                                  json={"username": "agent01", "password": PASSWORD})  # fmt: skip
            token = r.json()["token"]
        until = time.perf_counter() + seconds
        tasks = []
        for i in range(n):
            rng = random.Random(i)
            if kind == "agents":
                tasks.append(_agent(client, token, appeals, until, think, rec, rng))
            else:
                tasks.append(_caller(client, questions, until, think, rec, rng))
        await asyncio.gather(*tasks)
    return rec


def run(agents: int = 20, callers: int = 50, seconds: float = 60, agent_think: float = 1.0,
        caller_think: float = 2.0, workers: int = 2) -> str:  # fmt: skip
    port = _free_port()
    hotline = str(Path(sys.executable).parent / "hotline")
    server = None
    with scratch_schema("load") as url, tempfile.TemporaryDirectory() as data:
        try:
            env = {**os.environ, "HOTLINE_DATA_DIR": data, "HOTLINE_DATABASE_URL": url,
                   "HOTLINE_DEMO_PASSWORD": PASSWORD, "HOTLINE_THREADS": "1",
                   "HOTLINE_TIMER_INTERVAL": "0"}  # fmt: skip
            server = subprocess.Popen([hotline, "serve", "--port", str(port), "--workers",
                                       str(workers)], env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)  # fmt: skip
            base = f"http://127.0.0.1:{port}"
            deadline = time.time() + 600
            while time.time() < deadline:
                try:
                    if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(1)
            # every worker loads its models on first use: warm them before measuring
            asyncio.run(_scenario(base, "agents", 4, 15, 0.2))
            asyncio.run(_scenario(base, "callers", 4, 10, 0.2))
            a = asyncio.run(_scenario(base, "agents", agents, seconds, agent_think))
            c = asyncio.run(_scenario(base, "callers", callers, seconds, caller_think))
        finally:
            if server:
                server.terminate()
                server.wait(30)
    lines = [
        "## Load (PostgreSQL, 2 uvicorn workers, load generator on the same machine)",
        "",
        f"{seconds:.0f} s per scenario. Agents: one suggestion request per {agent_think:.1f} s"
        f" on average each (typing, debounced). Callers: one chat message per"
        f" {caller_think:.1f} s on average each.",
        "",
        "| scenario | requests | per s | server p50 / p95 ms | client p50 / p95 ms | errors |",
        "|---|---|---|---|---|---|",
        a.line(f"suggestions, {agents} agents", seconds),
        c.line(f"chat answers, {callers} callers", seconds),
        "",
    ]
    for name, rec in (("agents", a), ("callers", c)):
        lines += [f"- {name} error: {e}" for e in rec.errors[:5]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--callers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    print(run(args.agents, args.callers, args.seconds))


if __name__ == "__main__":
    main()
