"""The command line, run as a user runs it: the installed ``hotline`` command in a subprocess."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

HOTLINE = shutil.which("hotline") or str(Path(sys.executable).parent / "hotline")


def run(*args: str, env: dict | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [HOTLINE, *args], capture_output=True, text=True, timeout=timeout,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


@pytest.mark.parametrize("command", [[], ["serve"], ["prepare"], ["eval"]])
def test_every_command_has_help(command):
    out = run(*command, "--help")
    assert out.returncode == 0, out.stderr
    assert "Usage" in out.stdout


def test_missing_data_folder_is_one_line_error(tmp_path):
    out = run("eval", "--data-dir", str(tmp_path / "nowhere"))
    assert out.returncode != 0
    assert out.stderr.strip().count("\n") == 0
    assert "data folder not found" in out.stderr


def test_bad_setting_is_a_clear_error(tmp_path):
    out = run("prepare", env={"HOTLINE_THREADS": "many", "HOTLINE_DATA_DIR": str(tmp_path)})
    assert out.returncode != 0
    assert out.stderr.strip().splitlines() == [
        "hotline: error: invalid setting HOTLINE_THREADS: Input should be a valid integer,"
        " unable to parse string as an integer"
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_health_and_docs(tmp_path, cache_dir):
    port = _free_port()
    env = {**os.environ, "HOTLINE_DATA_DIR": str(tmp_path), "HOTLINE_CACHE_DIR": str(cache_dir),
           "HOTLINE_PORT": str(port)}  # fmt: skip
    proc = subprocess.Popen([HOTLINE, "serve"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 120
        while True:
            try:
                health = httpx.get(f"{base}/health", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read()
                assert time.time() < deadline, "server did not start"
                time.sleep(0.5)
        assert health.status_code == 200
        assert health.json()["database"] == "sqlite"
        assert health.json()["encoder_ready"] is True
        assert httpx.get(f"{base}/docs", timeout=5).status_code == 200
        assert (tmp_path / "hotline.db").is_file()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
