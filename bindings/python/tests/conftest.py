"""Test helpers: a real hookbusd per test, and hooks served from threads.

The broker binary is found in $HOOKBUSD, else <repo>/build/src/hookbusd, else any
<repo>/build*/src/hookbusd (the newest). Tests that need it are skipped, saying
why, only when none exists; a $HOOKBUSD that points nowhere is an error.
"""

import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import pytest

BINDING = pathlib.Path(__file__).resolve().parents[1]
REPO = BINDING.parents[1]

# Test the working tree, not whatever hookbus happens to be installed.
sys.path.insert(0, str(BINDING / "src"))

import hookbus  # noqa: E402


def find_hookbusd():
    """Return the hookbusd path to test against, or None."""
    configured = os.environ.get("HOOKBUSD")
    if configured:
        if not os.access(configured, os.X_OK):
            raise RuntimeError(f"HOOKBUSD={configured} is not an executable file")
        return configured
    default = REPO / "build" / "src" / "hookbusd"
    if default.is_file():
        return str(default)
    found = sorted(REPO.glob("build*/src/hookbusd"), key=lambda p: p.stat().st_mtime)
    return str(found[-1]) if found else None


def wait_until(predicate, timeout=5.0, interval=0.01):
    """Poll ``predicate`` until it is true or ``timeout`` passes; return it."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


class Broker:
    """One hookbusd process on its own runtime directory."""

    def __init__(self, binary, directory, args=()):
        self.binary = binary
        self.directory = directory
        self.args = list(args)
        self.process = None
        self.log_path = directory + ".log"

    @property
    def endpoints(self):
        return hookbus.endpoints(self.directory)

    def start(self, timeout=10.0):
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [self.binary, "--dir", self.directory, *self.args],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        with hookbus.Emitter(directory=self.directory, request_timeout=0.2) as probe:
            if not wait_until(lambda: self._answers(probe), timeout):
                self.stop()
                pytest.fail(f"hookbusd did not answer stats within {timeout}s:\n"
                            + self.log())

    def _answers(self, probe):
        if self.process.poll() is not None:
            pytest.fail(f"hookbusd exited with {self.process.returncode}:\n"
                        + self.log())
        try:
            probe.stats()
            return True
        except hookbus.BrokerUnreachable:
            return False

    def stop(self, timeout=5.0):
        """SIGTERM by pid and wait; SIGKILL if it does not exit in time."""
        if self.process is None or self.process.poll() is not None:
            return self.process and self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"hookbusd ignored SIGTERM for {timeout}s:\n" + self.log())

    def restart(self):
        self.stop()
        self.start()

    def stats(self):
        with hookbus.Emitter(directory=self.directory) as emitter:
            return emitter.stats()

    def wait_subscribed(self, topic, count=1, timeout=5.0):
        """Wait until the broker has seen ``count`` subscriptions to ``topic``."""
        return wait_until(
            lambda: self.stats()["subscriptions"].get(topic, 0) >= count, timeout, 0.02)

    def log(self):
        try:
            with open(self.log_path, errors="replace") as log:
                return log.read()[-4000:]
        except OSError:
            return "(no log)"


@pytest.fixture
def short_dir():
    """A fresh private directory with a short path (ipc paths are limited to
    about 100 bytes, too few for pytest's tmp_path)."""
    directory = tempfile.mkdtemp(prefix="hb-")
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def hookbusd():
    binary = find_hookbusd()
    if binary is None:
        pytest.skip("no hookbusd: set HOOKBUSD or build it into <repo>/build/src")
    return binary


@pytest.fixture
def make_broker(hookbusd, short_dir):
    """Start a broker with extra command-line flags: ``make_broker("--hwm", "10")``."""
    brokers = []

    def make(*args):
        broker = Broker(hookbusd, os.path.join(short_dir, "bus"), args)
        brokers.append(broker)
        broker.start()
        return broker

    yield make
    for broker in brokers:
        broker.stop()


@pytest.fixture
def broker(make_broker):
    """A running broker with default flags."""
    return make_broker()


@pytest.fixture
def emitter(broker):
    with hookbus.Emitter(directory=broker.directory) as emitter:
        yield emitter


@pytest.fixture
def serve():
    """Run HookApps in threads: ``serve(app)`` returns once the app is live."""
    running = []

    def start(app, timeout=5.0):
        thread = threading.Thread(target=app.run, kwargs={"poll_interval": 0.05},
                                  daemon=True)
        thread.start()
        running.append((app, thread))
        assert app.wait_ready(timeout), "the hook did not get hello_ok in time"
        return app

    yield start
    for app, thread in running:
        app.stop()
    for app, thread in running:
        thread.join(5)
