"""The simulator's HTTP server: routes, authentication, HTTP faults, and the blocking entry point.

Routes (as vLLM's OpenAI server): ``POST /v1/chat/completions``, ``POST /v1/completions``,
``GET /v1/models``, ``GET /health``, ``GET /metrics``. With an API key set, ``/v1/*`` needs
``Authorization: Bearer <key>`` (401 otherwise); ``/health`` and ``/metrics`` stay open. Every
request is served whatever its ``model`` field says; responses name the configured model.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import random
import signal
import socket
import sys
import threading
import time

from aiohttp import web

from harness.sim import faults as fk
from harness.sim.chunks import dumps, error_body
from harness.sim.config import SimConfig, SimConfigError
from harness.sim.generation import Backend, Generation, Identity, json_response, stream_response
from harness.sim.golden import last_user_text, load_golden
from harness.sim.metrics import SimMetrics
from harness.sim.plan import CHAT, COMPLETIONS, Planner, RequestError
from harness.sim.profiles import get_profile
from harness.sim.scheduler import Scheduler
from harness.sim.timing import TokenClock

# Enough for thousands of clients connecting at once (the kernel caps it at somaxconn).
LISTEN_BACKLOG = 4096
# How long in-flight streams get to finish when the server stops.
SHUTDOWN_GRACE_S = 1.0


def _error(status: int, message: str, kind: str, param: str | None = None) -> web.Response:
    return web.json_response(error_body(message, kind, status, param), status=status, dumps=dumps)


class SimServer:
    """One simulator instance: its seeded RNG, scheduler, metrics and golden items.

    Raises SimConfigError (one line) when a golden file cannot be loaded.
    """

    def __init__(self, cfg: SimConfig) -> None:
        self.cfg = cfg
        self.rng = random.Random(cfg.seed)
        profile = get_profile(cfg.drift_profile)
        self.scheduler = Scheduler(cfg.max_num_seqs, cfg.kv_capacity_tokens)
        self.metrics = SimMetrics(self.scheduler, cfg.model)
        self.clock = TokenClock(cfg, profile, self.scheduler)
        self.planner = Planner(cfg, profile, load_golden(cfg.golden_files))
        self.backend = Backend(self.scheduler, self.clock, self.metrics, cfg.model, cfg.stall_ms / 1000.0)
        self._bearer = f"Bearer {cfg.api_key}".encode() if cfg.api_key else None
        self._request_log = open(cfg.request_log, "a", encoding="utf-8") if cfg.request_log else None  # noqa: SIM115
        self._created = int(time.time())

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/completions", self._completions)
        app.router.add_get("/v1/models", self._models)
        app.router.add_get("/health", self._health)
        app.router.add_get("/metrics", self._metrics)
        return app

    async def _health(self, request: web.Request) -> web.Response:
        return web.Response()

    async def _metrics(self, request: web.Request) -> web.Response:
        return web.Response(body=self.metrics.exposition(), content_type="text/plain", charset="utf-8")

    async def _models(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, "Unauthorized", "AuthenticationError")
        model = {
            "id": self.cfg.model,
            "object": "model",
            "created": self._created,
            "owned_by": "vllm",
            "root": self.cfg.model,
            "parent": None,
            "max_model_len": self.cfg.kv_capacity_tokens,
            "permission": [],
        }
        return web.json_response({"object": "list", "data": [model]}, dumps=dumps)

    def _log_request(self, body: object) -> None:
        if self._request_log is None or not isinstance(body, dict):
            return
        messages = body.get("messages")
        key = last_user_text(messages) if isinstance(messages, list) else body.get("prompt")
        self._request_log.write(json.dumps({"received_at": time.time(), "key": key}) + "\n")
        self._request_log.flush()

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        return await self._generate(request, CHAT)

    async def _completions(self, request: web.Request) -> web.StreamResponse:
        return await self._generate(request, COMPLETIONS)

    def _authorized(self, request: web.Request) -> bool:
        if self._bearer is None:
            return True
        given = request.headers.get("Authorization", "").encode()
        return hmac.compare_digest(given, self._bearer)

    async def _generate(self, request: web.Request, api: str) -> web.StreamResponse:
        t_recv = asyncio.get_running_loop().time()
        if not self._authorized(request):
            return _error(401, "Unauthorized", "AuthenticationError")
        faults = fk.draw_faults(self.cfg, self.rng)
        if faults.http == fk.ERROR:
            self.metrics.faults[fk.ERROR].inc()
            return _error(500, "simulated internal server error", "InternalServerError")
        if faults.http == fk.RATE_LIMIT:
            self.metrics.faults[fk.RATE_LIMIT].inc()
            resp = _error(429, "simulated rate limit", "RateLimitError")
            resp.headers["Retry-After"] = "1"
            return resp
        try:
            body = json.loads(await request.read())
            self._log_request(body)
            plan = self.planner.plan(api, body, self.rng)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _error(400, "the request body is not valid JSON", "BadRequestError")
        except RequestError as exc:
            return _error(400, exc.message, "BadRequestError", exc.param)
        if not self.scheduler.fits_at_all(plan.kv_tokens):
            return _error(
                400,
                f"this request needs {plan.kv_tokens} tokens of KV cache (prompt + output) but the "
                f"simulator has {self.cfg.kv_capacity_tokens}; lower max_tokens or raise kv_capacity_tokens",
                "BadRequestError",
                "max_tokens",
            )
        for kind in faults.kinds():
            self.metrics.faults[kind].inc()
        jitter = self.clock.request_rng(self.rng)
        prefix = "chatcmpl-" if api == CHAT else "cmpl-"
        ident = Identity(f"{prefix}{self.rng.getrandbits(128):032x}", int(time.time()))
        t_admit = await self.scheduler.admit(plan.kv_tokens)
        try:
            gen = Generation(self.backend, plan, faults, t_recv, t_admit, jitter)
            respond = stream_response if plan.stream else json_response
            return await respond(request, gen, ident)
        except ConnectionResetError:
            # The client went away mid-response: vLLM counts such a request as aborted.
            self.metrics.request_success["abort"].inc()
            return web.Response()
        except asyncio.CancelledError:
            # The client went away while the request waited or between tokens: aborted too.
            self.metrics.request_success["abort"].inc()
            raise
        finally:
            self.scheduler.release(plan.kv_tokens)


def _listen_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=LISTEN_BACKLOG)
    except OSError as exc:
        raise SimConfigError(
            f"sim config: cannot listen on {host}:{port} ({exc.strerror}); choose another host or port"
        ) from None


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class _EofWatcher(asyncio.Protocol):
    def __init__(self, stop: asyncio.Event) -> None:
        self._stop = stop

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop.set()


async def serve(cfg: SimConfig, *, exit_on_stdin_eof: bool = False) -> None:
    """Serve until SIGINT/SIGTERM (or, with ``exit_on_stdin_eof``, until stdin closes).

    Prints ``listening on http://HOST:PORT`` (flushed) on stdout once the socket accepts.
    """
    server = SimServer(cfg)
    # A client that goes away cancels its request, as in vLLM: its slot and KV cache are freed.
    runner = web.AppRunner(
        server.app(),
        access_log=None,
        handle_signals=False,
        shutdown_timeout=SHUTDOWN_GRACE_S,
        handler_cancellation=True,
    )
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    try:
        sock = _listen_socket(cfg.host, cfg.port)
        await web.SockSite(runner, sock, backlog=LISTEN_BACKLOG).start()
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
        if exit_on_stdin_eof:
            # The parent holds our stdin pipe: when it dies, the pipe closes and we stop (no orphan).
            await loop.connect_read_pipe(lambda: _EofWatcher(stop), sys.stdin)
        print(f"listening on {_url(sock)}", flush=True)
        await stop.wait()
    finally:
        await runner.cleanup()


def run_server(cfg: SimConfig, *, exit_on_stdin_eof: bool = False) -> None:
    """Run the simulator in this process until interrupted (blocking). See ``serve``."""
    asyncio.run(serve(cfg, exit_on_stdin_eof=exit_on_stdin_eof))
