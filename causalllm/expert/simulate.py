"""A simulated causal expert served over the real OpenAI wire protocol (for benchmarks, tests, demo).

:class:`SimulatedExpert` serves ``POST /v1/chat/completions`` (and ``GET /v1/models``) on
127.0.0.1 and answers causalllm's own prompts from a known truth graph, so the real client
path — HTTP, JSON, retries, cache — is always exercised. It reads each question with
:meth:`causalllm.prompts.Prompts.parse_question` for the prompts in use, so it understands
reworded templates too; :meth:`SimulatedExpert.reply` also serves the in-process fake model of
the unit tests. It is a simulation: every rationale
it writes starts with ``[simulated expert]`` and every output it influences says so.

Profiles
--------
``perfect``
    Direct edge → the true direction; otherwise "none".
``gpt4``
    Published GPT-4 error rates (ILS-CSL, Ban et al. 2023): a true direct edge is answered
    correctly 97.5% of the time (else reversed or "none", half each); an ancestor without a
    direct edge gets "A causes B" 80%, reversed 10%, "none" 10%; a pair with no directed path
    either way gets "none" 47.5%, else a random direction.
``random``
    Uniform over A→B, B→A and "none", ignoring the truth (each order drawn separately).
``flip=P``
    The perfect answer, replaced by one of the two other options with probability P.
``topical=U`` (``topical`` = ``topical=0.5``)
    Per-variable familiarity, as a real model knows some fields and not others: a share U of
    the variables is *unknown*, drawn as topic clusters (connected regions of the true graph,
    grown breadth-first from seeded starting variables, so unknown variables neighbour each
    other). A pair of known variables is answered at GPT-4 rates; a pair touching an unknown
    variable as ``anonymised``.
``anonymised``
    Disguised names: the expert can only guess. "none" 40%, else a direction at chance;
    confidence 0.5–0.8. (A 2026 study measured ~51% orientation accuracy with disguised names.)
    Names the truth graph does not hold — the memorisation probe's disguised names — are
    answered this way by every profile.
``confident-wrong=P`` (``confident-wrong`` = ``confident-wrong=0.2``)
    GPT-4 rates, except a share P of the true direct edges (drawn per pair) is reversed,
    consistently in both question orders and with confidence 0.9–0.99: the systematic
    misconception a calibration must survive.

``order_bias=B`` answers "A->B" (the first-named causes the second) with probability B
whatever the truth. Confidence is drawn independently of correctness. Answers are
deterministic given the seed, the pair, the order asked and the request's ``seed``.
``fail_rate=F`` injects, per request, 429s (with Retry-After), 500s, timeouts and malformed
JSON; ``reject_json_schema`` answers HTTP 500 to ``response_format=json_schema`` requests
as llama.cpp's Python server does.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
import threading
import time
from pathlib import Path
from typing import Any

import networkx as nx

from ..data.bundled import truth_or_path
from ..data.variables import read_variables
from ..errors import ConfigError
from ..graph import directed_part
from ..graph.read import read_truth
from .prompts import Prompts
from .registry import DEFAULT_PROFILE, PROFILES, parse_profile
from .server import LoopbackServer, Reply, Request, chat_completion

__all__ = ["FAULTS", "SimulatedExpert", "start_expert"]

log = logging.getLogger("causalllm")
FAULTS = ("429", "500", "timeout", "malformed")


class SimulatedExpert:
    """An OpenAI-compatible server answering from a truth graph.

    Parameters
    ----------
    truth : networkx.DiGraph or path
        The true DAG (``source,target`` edge list, or any graph file).
    profile : str
        A profile of :data:`PROFILES` (``flip=P`` and the like with its parameter).
    seed : int
    order_bias : float
    latency : float
        Seconds to wait before each answer.
    fail_rate : float
        Probability of an injected fault per request.
    hang : float
        How long an injected timeout holds the request.
    retry_after : float
        ``Retry-After`` seconds sent with an injected 429.
    reject_json_schema : bool
        Answer HTTP 500 to JSON-schema requests (llama.cpp behaviour).
    port : int
        Port on 127.0.0.1 (0: any free port).
    prompts : Prompts, optional
        The prompts the client sends (default: causalllm's own), to read questions with.

    Examples
    --------
    >>> import networkx as nx
    >>> T = nx.DiGraph([("smoking", "cancer")])
    >>> with SimulatedExpert(T, profile="perfect") as sim:
    ...     sim.url.startswith("http://127.0.0.1:")
    True
    """

    def __init__(self, truth: nx.DiGraph | str | Path, *, profile: str = DEFAULT_PROFILE, seed: int = 0,
                 order_bias: float = 0.0, latency: float = 0.0, fail_rate: float = 0.0, hang: float = 5.0,
                 retry_after: float = 1.0, reject_json_schema: bool = False, port: int = 0,
                 prompts: Prompts | None = None) -> None:
        self.truth = truth if isinstance(truth, nx.DiGraph) else read_truth(truth)
        self.profile = profile
        self.kind, self.p = parse_profile(profile)
        if not 0 <= order_bias <= 1 or not 0 <= fail_rate <= 1:
            raise ConfigError("--order-bias and --fail-rate must be between 0 and 1")
        self.seed = seed
        self.order_bias = order_bias
        self.latency = latency
        self.fail_rate = fail_rate
        self.hang = hang
        self.retry_after = retry_after
        self.reject_json_schema = reject_json_schema
        self.port = port
        self.prompts = prompts or Prompts()
        D = directed_part(self.truth)
        self._D = D
        self._anc = {n: nx.ancestors(D, n) for n in D.nodes}
        self._names = {self._norm(n): n for n in D.nodes}
        self.unknown = self._unknown_topics(self.p) if PROFILES[self.kind].topics else frozenset()
        self._lock = threading.Lock()
        self._fault_rng = random.Random(f"faults:{seed}")
        self.requests: list[dict] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.faults: dict[str, int] = {f: 0 for f in FAULTS}
        self._server: LoopbackServer | None = None

    # ------------------------------------------------------------ identity
    @property
    def identity(self) -> str:
        """Stable cache identity: profile, seed, bias and the truth's content (never the port)."""
        edges = sorted(f"{u}->{v}" for u, v in self._D.edges)
        h = hashlib.sha256("\n".join(edges).encode()).hexdigest()[:16]
        return f"simulated:{self.profile}:seed={self.seed}:bias={self.order_bias}:truth={h}"

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the server first"
        return self._server.url

    # ------------------------------------------------------------ answering
    @staticmethod
    def _norm(name: str) -> str:
        return re.sub(r"[^a-z0-9]", "", name.lower())

    def _rng(self, *parts: Any) -> random.Random:
        return random.Random(hashlib.sha256(repr((self.seed, self.profile, *parts)).encode()).hexdigest())

    def _unknown_topics(self, share: float) -> frozenset[str]:
        """A share of the variables, as connected regions of the true graph (topics the model never read about)."""
        rng = random.Random(f"topics:{self.seed}")
        U = self._D.to_undirected()
        want = round(share * U.number_of_nodes())
        unknown: list[str] = []
        left = sorted(U.nodes)
        while len(unknown) < want:
            start = rng.choice([n for n in left if n not in unknown])
            region = [start, *(v for _, v in nx.bfs_edges(U, start))]
            cap = max(1, U.number_of_nodes() // 6)  # several topics, not one giant region
            unknown += [n for n in region if n not in unknown][:min(cap, want - len(unknown))]
        return frozenset(unknown)

    def anonymised(self, rng: random.Random) -> tuple[str, float]:
        """A guess, as about disguised names: \"none\" 40%, else a direction at chance; confidence 0.5-0.8."""
        u = rng.random()
        return ("none" if u < 0.4 else "A->B" if u < 0.7 else "B->A"), round(rng.uniform(0.5, 0.8), 2)

    def gpt4(self, a: str, b: str, truth: str, u: float, rng: random.Random) -> str:
        """The answer at published GPT-4 error rates."""
        if truth != "none":
            rev = "B->A" if truth == "A->B" else "A->B"
            return truth if u < 0.975 else (rev if u < 0.9875 else "none")
        if a in self._anc[b]:
            return "A->B" if u < 0.8 else ("B->A" if u < 0.9 else "none")
        if b in self._anc[a]:
            return "B->A" if u < 0.8 else ("A->B" if u < 0.9 else "none")
        return "none" if u < 0.475 else rng.choice(["A->B", "B->A"])

    def pair_draw(self, salt: str, a: str, b: str) -> float:
        """A uniform draw in [0, 1) fixed per unordered pair, seed and ``salt`` (both question orders see it)."""
        x, y = sorted((a, b))
        h = hashlib.sha256(f"{salt}:{self.seed}:{x}:{y}".encode()).digest()
        return int.from_bytes(h[:8], "big") / 2 ** 64

    def ancestors(self, node: str) -> set[str]:
        """The truth graph's ancestors of ``node``."""
        return set(self._anc[node])

    def misconceived(self, a: str, b: str) -> bool:
        """Whether the confident-wrong expert holds the reversed belief about this true edge (either order)."""
        x, y = sorted((a, b))
        h = hashlib.sha256(f"misconception:{self.seed}:{x}:{y}".encode()).digest()
        return PROFILES[self.kind].misconceives and int.from_bytes(h[:8], "big") / 2 ** 64 < self.p

    def truth_answer(self, a: str, b: str) -> str:
        """The perfect answer for (A, B): ``A->B``, ``B->A`` or ``none``."""
        if self._D.has_edge(a, b):
            return "A->B"
        if self._D.has_edge(b, a):
            return "B->A"
        return "none"

    def direction(self, a: str, b: str, req_seed: Any = None) -> dict:
        """The simulated reply to "does A cause B?" (A asked first)."""
        rng = self._rng("direction", a, b, req_seed)
        conf = round(rng.uniform(0.6, 0.95), 2)
        label = f"[simulated expert, profile {self.profile}]"
        if a not in self._anc or b not in self._anc:
            ans, conf = self.anonymised(rng)
            why = {"A->B": f"{a} may influence {b}.", "B->A": f"{b} may influence {a}.",
                   "none": f"No clear link between {a} and {b}."}[ans]
            return {"answer": ans, "confidence": conf,
                    "rationale": f"{label} variable not in the truth graph (answered as if anonymised): {why}"}
        truth = self.truth_answer(a, b)
        u = rng.random()
        ans, drawn = PROFILES[self.kind].answer(self, a, b, truth, u, rng)
        conf = conf if drawn is None else drawn
        if self.order_bias and rng.random() < self.order_bias:
            ans = "A->B"
        text = {"A->B": f"{a} directly influences {b}.", "B->A": f"{b} directly influences {a}.",
                "none": f"No direct causal link between {a} and {b}.",
                "unsure": f"Cannot tell whether {a} and {b} are directly linked."}[ans]
        return {"answer": ans, "confidence": conf, "rationale": f"{label} {text}"}

    def confounders(self, a: str, b: str, others: list[str]) -> dict:
        """The simulated reply to "which common causes link A and B?"."""
        rng = self._rng("confounders", a, b)
        label = "[simulated expert]"
        out: list[dict] = []
        profile = PROFILES[self.kind]
        if a in self._anc and b in self._anc:
            if profile.confounder_recall is None:
                pool = [o for o in others if o not in (a, b)]
                for o in rng.sample(pool, min(len(pool), rng.randint(0, 2))):
                    out.append({"name": o, "rationale": f"{label} random suggestion."})
            else:
                common = sorted(set(self._D.predecessors(a)) & set(self._D.predecessors(b)))
                for c in common:
                    if rng.random() < profile.confounder_recall:
                        out.append({"name": c, "rationale": f"{label} {c} affects both."})
        if rng.random() < profile.latent_rate:
            out.append({"name": f"unmeasured common factor of {a} and {b}",
                        "rationale": f"{label} a latent influence is plausible."})
        return {"confounders": out}

    def _lookup(self, name: str) -> str:
        """The truth node a prompt's name refers to: exact first, then case/punctuation-insensitive."""
        return name if name in self._anc else self._names.get(self._norm(name), name)

    def reply(self, body: dict) -> str:
        """JSON text answering a chat-completions request body."""
        q = self.prompts.parse_question(body.get("messages") or [])
        if q is None:
            return json.dumps({"answer": "unsure", "confidence": 0.0,
                               "rationale": "[simulated expert] the question does not match the prompt templates."})
        a, b = self._lookup(q.a.strip()), self._lookup(q.b.strip())
        if q.kind == "confounders":
            return json.dumps(self.confounders(a, b, list(q.others)))
        return json.dumps(self.direction(a, b, body.get("seed")))

    # ------------------------------------------------------------ HTTP
    def respond(self, req: Request) -> Reply:
        """The HTTP reply to one request: the model list, a chat completion, or an injected fault."""
        if req.method == "GET":
            if req.path.rstrip("/").endswith("/models"):
                return Reply(payload={"object": "list", "data": [{"id": f"simulated-{self.profile}", "object": "model"}]})
            return Reply(404, {"error": {"message": "not found"}})
        if not req.path.rstrip("/").endswith("/chat/completions"):
            return Reply(404, {"error": {"message": f"unknown path {req.path}"}})
        if not isinstance(req.body, dict):
            return Reply(400, {"error": {"message": "body is not JSON"}})
        with self._lock:
            self.requests.append(req.body)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            fault = self._fault_rng.choice(FAULTS) if self._fault_rng.random() < self.fail_rate else None
            if fault:
                self.faults[fault] += 1
        try:
            return self._answer(req.body, fault)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _answer(self, body: dict, fault: str | None) -> Reply:
        if self.latency:
            time.sleep(self.latency)
        rf = body.get("response_format") or {}
        if self.reject_json_schema and rf.get("type") == "json_schema":
            return Reply(500, {"error": {"message": "json_schema response_format not supported"}})
        if fault == "429":
            return Reply(429, {"error": {"message": "rate limited (simulated)", "type": "rate_limit"}},
                         {"Retry-After": f"{self.retry_after:g}"})
        if fault == "500":
            return Reply(500, {"error": {"message": "internal error (simulated)"}})
        if fault == "timeout":
            time.sleep(self.hang)
        content = "Sure! I think the first one causes the second." if fault == "malformed" else self.reply(body)
        prompt_chars = sum(len(str(m.get("content", ""))) for m in body.get("messages", []))
        return Reply(payload=chat_completion(content, model=f"simulated-{self.profile}",
                                             prompt_tokens=prompt_chars // 4, completion_tokens=len(content) // 4))

    def start(self) -> SimulatedExpert:
        """Start serving on 127.0.0.1 (ephemeral port unless ``port`` was given)."""
        self._server = LoopbackServer(self.respond, port=self.port).start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> SimulatedExpert:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def start_expert(truth: str | Path, *, variables: str | Path | None = None, prompts: Prompts | None = None,
                 profile: str = DEFAULT_PROFILE, order_bias: float = 0.0, latency: float = 0.0,
                 fail_rate: float = 0.0, seed: int = 0, port: int = 0) -> SimulatedExpert:
    """``causalllm simulate-expert``: a started :class:`SimulatedExpert` (the caller stops it).

    ``truth`` is an edge-list file or a bundled dataset name; ``variables`` names are checked
    against the truth graph (unknown ones get "unsure").
    """
    sim = SimulatedExpert(read_truth(truth_or_path(truth)), profile=profile, seed=seed, order_bias=order_bias,
                          latency=latency, fail_rate=fail_rate, port=port, prompts=prompts)
    if variables:
        unknown = [v for v in read_variables(variables) if v not in sim.truth.nodes]
        if unknown:
            log.warning("variables not in the truth graph (the expert answers them as if anonymised): %s",
                        ", ".join(unknown))
    try:
        return sim.start()
    except OSError as e:
        raise ConfigError(f"cannot listen on 127.0.0.1:{port} ({e.strerror}); choose another --port") from None
