"""Fixtures for the real-browser tests: a throw-away JupyterLab server and Debian's headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from playwright.sync_api import Browser, sync_playwright

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
# Playwright cannot download its own browser here (no network at test time): we drive Debian's package.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # CI runs as root, where Chromium refuses to start sandboxed
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT = 90.0
SERVER_STOP_TIMEOUT = 15.0

# User settings for the throw-away server. "windowingMode: none" keeps every cell attached to the DOM (the
# default virtualises cells outside the viewport, which would hide outputs from the assertions); without
# "autoStartDefaultKernel" a "Select Kernel" dialog blocks the page; the news and update checks would
# otherwise try the network and pop a toast over the notebook.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
        "windowingMode": "none",
        "autoStartDefaultKernel": True,
    },
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


@dataclass(frozen=True)
class LabServer:
    """A running JupyterLab server: its base URL, the folder it serves and its log file."""

    url: str
    root: Path
    log: Path

    def log_tail(self) -> str:
        """The end of the server log, for failure messages."""
        return _tail(self.log)


def _tail(log: Path, n_chars: int = 6000) -> str:
    return log.read_text(errors="replace")[-n_chars:]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _write_settings(settings_dir: Path) -> None:
    for name, values in LAB_SETTINGS.items():
        path = settings_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


def _lab_env(home: Path) -> dict[str, str]:
    """Environment isolating the server from the user's Jupyter config, runtime files and workspaces."""
    env = dict(os.environ)
    for var, sub in {
        "JUPYTER_CONFIG_DIR": "config",
        "JUPYTER_RUNTIME_DIR": "runtime",
        "JUPYTERLAB_SETTINGS_DIR": "settings",
        "JUPYTERLAB_WORKSPACES_DIR": "workspaces",
        "IPYTHONDIR": "ipython",
    }.items():
        (home / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(home / sub)
    _write_settings(home / "settings")
    env["JUPYTER_PLATFORM_DIRS"] = "1"  # silences the path-migration notice in the log
    env.pop("MPLBACKEND", None)  # the kernel must pick its inline backend to render images
    return env


def _wait_until_ready(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"jupyter lab exited with code {proc.returncode}:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(f"{url}/api/status", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    waited = f"{SERVER_START_TIMEOUT:.0f} s"
    pytest.fail(f"jupyter lab did not answer {url}/api/status in {waited}:\n{_tail(log)}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate the server, then kill whatever is left of it and of its kernels."""
    try:
        # Kernels run in their own session (jupyter_client starts them with start_new_session), so a signal to
        # the server's process group would miss them: remember every descendant before signalling.
        family = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        family = []
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=SERVER_STOP_TIMEOUT)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=SERVER_STOP_TIMEOUT)
    _, alive = psutil.wait_procs(family, timeout=5)
    for child in alive:
        child.kill()
    psutil.wait_procs(alive, timeout=5)


@pytest.fixture
def lab_server(tmp_path: Path) -> Iterator[LabServer]:
    """JupyterLab serving a temporary copy of ``notebooks/``, without token or password, on a free port.

    ``data/`` is linked next to the copy so the notebooks' ``../data/...`` defaults resolve as in the repo,
    and outputs the notebooks write under ``../out`` land in the temporary folder.
    """
    root = tmp_path / "notebooks"
    shutil.copytree(REPO / "notebooks", root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    (tmp_path / "data").symlink_to(REPO / "data", target_is_directory=True)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "jupyter-lab.log"
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--ServerApp.open_browser=False",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",  # fail loudly rather than serve on a port we do not know
        "--IdentityProvider.token=",
        "--PasswordIdentityProvider.hashed_password=",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.allow_root=True",  # CI runs as root
        "--LabApp.extension_manager=readonly",  # the default one queries PyPI
    ]
    with log.open("wb") as log_file:
        proc = subprocess.Popen(
            command,
            cwd=root,
            env=_lab_env(tmp_path / "jupyter-home"),
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group, so the whole server can be signalled at once
        )
    try:
        _wait_until_ready(proc, url, log)
        yield LabServer(url=url, root=root, log=log)
    finally:
        _stop(proc)


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven through Playwright."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (as root) to install Debian's chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def artifacts() -> Path:
    """The git-ignored folder where browser tests leave their screenshots."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
