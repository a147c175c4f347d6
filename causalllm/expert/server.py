"""A small OpenAI-compatible HTTP server on 127.0.0.1: what the simulated expert and the tests' fake servers run on.

:class:`LoopbackServer` answers every request with what its ``respond`` function returns for
it (a :class:`Reply`); :func:`chat_completion` writes the body of a chat completion as OpenAI
sends it. The simulated expert (:mod:`causalllm.expert.simulate`) and the test suite's scripted
servers share both, so the client is always tested against one reply writer.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["LoopbackServer", "Reply", "Request", "chat_completion"]


def chat_completion(content: Any, *, model: str, prompt_tokens: int = 0, completion_tokens: int = 0) -> dict:
    """The JSON body of a chat completion whose message says ``content``.

    Examples
    --------
    >>> chat_completion("hi", model="m")["choices"][0]["message"]["content"]
    'hi'
    """
    return {"id": "chatcmpl-local", "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens}}


@dataclass(frozen=True)
class Request:
    """One request as the server read it: ``body`` is the parsed JSON (None when it was not JSON)."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    raw: bytes


@dataclass
class Reply:
    """What to answer: a status, a JSON payload (or raw text/bytes), headers; ``reset`` drops the
    connection without a reply (as a failing proxy would)."""

    status: int = 200
    payload: Any = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    reset: bool = False


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1 answering each request with ``respond(request)``.

    Examples
    --------
    >>> with LoopbackServer(lambda req: Reply(payload={"path": req.path})) as srv:
    ...     srv.url.startswith("http://127.0.0.1:")
    True
    """

    def __init__(self, respond: Callable[[Request], Reply], *, port: int = 0) -> None:
        self.respond = respond
        self.port = port
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        """The base URL of the OpenAI-compatible API (``http://127.0.0.1:PORT/v1``)."""
        assert self._server is not None, "start() the server first"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> LoopbackServer:
        """Start serving (an ephemeral port unless ``port`` was given)."""
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="causalllm-loopback", daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _handler(server: LoopbackServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes: avoid 40 ms delayed ACKs

        def log_message(self, *args: Any) -> None:  # keep stderr quiet
            pass

        def do_GET(self) -> None:
            self._answer("GET", b"")

        def do_POST(self) -> None:
            self._answer("POST", self.rfile.read(int(self.headers.get("Content-Length") or 0)))

        def _answer(self, method: str, raw: bytes) -> None:
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            reply = server.respond(Request(method, self.path, dict(self.headers), body, raw))
            if reply.reset:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            p = reply.payload
            data = p if isinstance(p, bytes) else p.encode() if isinstance(p, str) else json.dumps(p).encode()
            self.send_response(reply.status)
            headers = {"Content-Type": "application/json", **reply.headers, "Content-Length": str(len(data))}
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(data)

    return Handler
