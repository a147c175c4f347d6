"""A scripted OpenAI-compatible server for client tests (faults the simulator does not make).

It runs on the simulated expert's own loopback server and writes its replies with the same
:func:`~causalllm.expert.server.chat_completion`, so the client is tested against one reply writer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from causalllm.expert.server import LoopbackServer, Reply, Request, chat_completion


def completion(content: object) -> dict:
    """The body of a chat completion saying ``content`` (the simulated expert's writer, model ``fake``)."""
    return chat_completion(content, model="fake", prompt_tokens=10, completion_tokens=5)


def honest(body: dict, **extra: object) -> dict:
    """A direction reply a knowing model could give: read from the question's two names, the same direction
    whichever is asked first (the alphabetically first name causes the other), a confidence that depends on
    the pair — so no behaviour screen (position, constant) flags it. ``extra`` overrides fields."""
    import hashlib
    import json
    import re

    text = " ".join(str(m.get("content", "")) for m in body.get("messages", []))
    found = re.search(r"Variable A: (.*)\n.*\nVariable B: (.*)\n", text)
    a, b = (found.group(1), found.group(2)) if found else ("a", "b")
    conf = 0.6 + int(hashlib.sha256(("|".join(sorted((a, b)))).encode()).hexdigest(), 16) % 35 / 100
    cause, effect = sorted((a, b))
    reply = {"answer": "A->B" if cause == a else "B->A", "confidence": round(conf, 2),
             "rationale": f"{cause} affects {effect}.", **extra}
    return completion(json.dumps(reply))


#: A script's payload that makes the server drop the connection instead of answering.
RESET = "\0reset"


class FakeServer:
    """``script(body, n)`` returns ``(status, headers, payload)``; payload dict → JSON, str → raw body."""

    def __init__(self, script: Callable[[dict, int], tuple[int, dict, object]]) -> None:
        self.script = script
        self.bodies: list[dict] = []
        self.headers: list[dict] = []
        self.times: list[float] = []
        self._lock = threading.Lock()
        self._server = LoopbackServer(self._respond).start()
        self.url = self._server.url

    def _respond(self, req: Request) -> Reply:
        if req.method != "POST":  # the script answers chat completions only; no model list here
            return Reply(501, {"error": {"message": f"unsupported method {req.method}"}})
        with self._lock:
            self.bodies.append(req.body)
            self.headers.append(req.headers)
            self.times.append(time.monotonic())
            n = len(self.bodies)
        status, headers, payload = self.script(req.body, n)
        if payload == RESET:  # drop the connection without a reply (a reset, as a proxy would)
            return Reply(reset=True)
        return Reply(status, payload, headers)

    def close(self) -> None:
        self._server.stop()

    def __enter__(self) -> FakeServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
