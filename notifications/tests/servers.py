"""Real servers on loopback ports for the tests: an HTTP receiver and an SMTP server.

Nothing is mocked: a delivery leaves through httpx or smtplib and arrives
at a socket these servers listen on.
"""

import socket
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


@dataclass
class Answer:
    """How the receiver answers one request: a status, headers, and a delay before answering."""

    status: int = 200
    headers: dict = field(default_factory=dict)
    delay: float = 0.0
    body: bytes = b"ok"
    # Seconds between bytes: the answer is written one byte at a time (a receiver that drips).
    drip: float = 0.0


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes


class Receiver:
    """An HTTP server on 127.0.0.1 that answers POSTs as scripted (the last answer repeats).

    `hang` makes it wait before answering until the test ends (a receiver
    that never answers).
    """

    def __init__(self, *answers: Answer, host: str = "127.0.0.1", port: int = 0):
        self.answers = list(answers) or [Answer()]
        self.requests: list[Received] = []
        self.released = threading.Event()
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the name http.server calls
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.arrived:
                    receiver.requests.append(Received(self.path, dict(self.headers), body))
                    answer = receiver.answers[min(len(receiver.requests), len(receiver.answers)) - 1]
                    receiver.arrived.notify_all()
                if answer.delay:
                    receiver.released.wait(answer.delay)
                if answer.drip:
                    raw = (
                        f"HTTP/1.1 {answer.status} OK\r\nContent-Length: {len(answer.body)}\r\n\r\n".encode()
                    )
                    for byte in raw + answer.body:
                        if receiver.released.wait(answer.drip):
                            return
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                    return
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_for(self, count: int, timeout: float = 30.0) -> bool:
        """Wait until `count` requests arrived (True) or `timeout` passed (False)."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.arrived.wait(left)
        return True

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """aiosmtpd's handler: keeps every message it is given."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


class SmtpServer:
    """A real SMTP server on a loopback port (aiosmtpd), for the length of a `with` block."""

    def __init__(self):
        self.inbox = Inbox()
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self):
        return self.inbox.messages

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()
