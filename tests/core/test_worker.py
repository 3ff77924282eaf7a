"""The queue is real: a Huey consumer in its own process runs a task that a client enqueued.

On SQLite storage by default, on Redis when REDIS_URL is set (CI's PostgreSQL run), each test
with a queue name of its own, so it never meets a developer's running worker.
"""

import os
import subprocess
import sys
import time
import uuid

from django.conf import settings

MANAGE = str(settings.REPO_DIR / "manage.py")


def run_manage(env: dict, *args: str, timeout: float = 60) -> str:
    done = subprocess.run(
        [sys.executable, MANAGE, *args], env=env, capture_output=True, text=True, timeout=timeout, check=True
    )
    return done.stdout


def test_a_worker_process_runs_an_enqueued_task(tmp_path):
    env = {
        **os.environ,
        "KEFU_VAR_DIR": str(tmp_path),
        "HUEY_NAME": f"kefu-test-{uuid.uuid4().hex[:8]}",
        "HUEY_IMMEDIATE": "",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    read_beat = (
        "from huey.contrib.djhuey import HUEY; from kefu.core.health import HEARTBEAT_KEY; "
        "print(HUEY.get(HEARTBEAT_KEY, peek=True) or '')"
    )
    run_manage(env, "shell", "-v", "0", "-c", "from kefu.core.tasks import heartbeat; heartbeat()")
    assert run_manage(env, "shell", "-v", "0", "-c", read_beat).strip() == "", (
        "nothing runs the task before a worker"
    )

    worker = subprocess.Popen(
        [sys.executable, MANAGE, "run_huey", "--workers", "1", "--no-periodic"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        beat = ""
        deadline = time.monotonic() + 30
        while not beat and time.monotonic() < deadline:
            time.sleep(0.5)
            beat = run_manage(env, "shell", "-v", "0", "-c", read_beat).strip()
    finally:
        worker.terminate()
        worker.wait(timeout=10)
    assert beat, "the worker did not run the task within 30 s"
    assert abs(float(beat) - time.time()) < 60
