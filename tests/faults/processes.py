"""The relay and the projector as OS processes that a test can SIGKILL and start again.

Each one runs the service's own code path — ``services.relay.main.run``
(what ``entente relay`` calls) and the projector's composition root
``services.projector.bootstrap`` with its projector thread (what
``entente project`` serves) — in a child of a *forkserver* that imported
them once. Starting ``entente project`` from scratch costs 5 s of CPU (13 s
of wall time on the loaded 2-core test machine), so 20 restarts by exec would
take longer than the whole fault suite may; a fork is ready in milliseconds
and dies from SIGKILL like any process: no ``finally``, no flush, no goodbye.

Children write their logs to a file the test names, shown when a test fails.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from types import FrameType

from services.projector.bootstrap import bootstrap
from services.projector.settings import ProjectorSettings
from services.relay.main import run as run_relay
from shared.kafka.settings import KafkaSettings
from shared.relay.relay import RelayOptions
from shared.settings import Settings

#: The modules the forkserver imports once, before it forks any child.
PRELOAD = [__name__]
#: prctl(2) option: the signal a process gets when its parent ends.
PR_SET_PDEATHSIG = 1


def context() -> ForkServerContext:
    """The forkserver context, preloading this module (so the services) in the server."""
    ctx = multiprocessing.get_context("forkserver")
    assert isinstance(ctx, ForkServerContext)
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def _die_with_the_forkserver() -> None:
    """Linux: SIGKILL this child when its parent (the forkserver, so the test run) ends.

    A run that is itself killed (a CI timeout) then leaves no relay behind
    publishing into the broker the next run uses.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")


def _log_to(path: str) -> None:
    """Points the child's stdout and stderr (and logging) at ``path``."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    logging.basicConfig(
        level=logging.INFO, format=f"%(asctime)s {os.getpid()} %(name)s %(message)s", force=True
    )
    logging.getLogger("kafka").setLevel(logging.WARNING)


def relay_process(
    settings: Settings,
    tenant: str,
    kafka: KafkaSettings,
    options: RelayOptions,
    log: str,
    ready: EventType,
) -> None:
    """The relay of ``tenant`` until SIGTERM (a clean stop) or SIGKILL."""
    stop = _stop_on_sigterm(ready)
    _die_with_the_forkserver()
    _log_to(log)
    run_relay(settings, tenant, kafka=kafka, options=options, stop=stop)


def _stop_on_sigterm(ready: EventType) -> threading.Event:
    """SIGTERM sets the returned event, from the child's first line; then ``ready`` is set.

    ``Restartable.stop`` waits for ``ready``: a SIGTERM sent to a child restarted a
    moment before, still unpickling its arguments, met the default action (exit
    -15) instead of a clean stop, and failed the run once in a while.
    """
    stop = threading.Event()

    def handle(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    ready.set()
    return stop


def projector_process(
    settings: ProjectorSettings, kafka: KafkaSettings, log: str, ready: EventType
) -> None:
    """The projector service (its thread, without HTTP) until SIGTERM or SIGKILL."""
    stop = _stop_on_sigterm(ready)
    _die_with_the_forkserver()
    _log_to(log)
    service = bootstrap(settings, kafka=kafka)
    service.start()
    try:
        while not stop.wait(0.2):
            if not service.runner.is_alive():
                sys.exit(f"the projector thread ended: {service.runner.failure!r}")
    finally:
        service.stop()


class Restartable:
    """One service process: start, SIGKILL and start again, stop cleanly at the end.

    Thread-safe: a kill plan restarts it in one thread while others check that
    it is alive (a process between its kill and its restart counts as alive).
    """

    def __init__(
        self,
        ctx: ForkServerContext,
        name: str,
        target: Callable[..., None],
        args: tuple[object, ...],
        log: Path,
    ) -> None:
        self.ctx = ctx
        self.name = name
        self.target = target
        self.args = (*args, str(log))
        self.log = log
        self.kills = 0
        self._process: BaseProcess | None = None
        self._ready: EventType | None = None  # set by the child once SIGTERM stops it cleanly
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            self._start()

    def restart(self) -> None:
        """SIGKILL, wait until it is gone (exit status -9), and start a new process at once."""
        with self._lock:
            process = self._running()
            assert process.pid is not None
            os.kill(process.pid, signal.SIGKILL)
            process.join(timeout=30)
            assert process.exitcode == -signal.SIGKILL, f"{self.name}: exit {process.exitcode}"
            self.kills += 1
            self._start()

    def stop(self) -> None:
        """SIGTERM, once the process handles it, and a clean exit (0)."""
        with self._lock:
            process = self._running()
            assert self._ready is not None, f"{self.name} was never started"
            assert self._ready.wait(30), f"{self.name}: not handling SIGTERM 30 s after its start"
            process.terminate()
            process.join(timeout=60)
            assert process.exitcode == 0, f"{self.name} exit {process.exitcode}:\n{self.tail()}"

    def ensure_gone(self) -> None:
        """For teardown: whatever state it is in, it does not outlive the test."""
        with self._lock:
            if self._process is not None and self._process.is_alive():
                self._process.kill()
                self._process.join(timeout=30)

    def check_alive(self) -> None:
        with self._lock:
            self._running()

    def tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return "(no log)"
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def _start(self) -> None:
        assert self._process is None or not self._process.is_alive()
        self._ready = self.ctx.Event()
        args = (*self.args, self._ready)
        self._process = self.ctx.Process(target=self.target, args=args, name=self.name)
        self._process.start()

    def _running(self) -> BaseProcess:
        process = self._process
        assert process is not None, f"{self.name} was never started"
        assert process.is_alive(), f"{self.name} died ({process.exitcode}):\n{self.tail()}"
        return process
