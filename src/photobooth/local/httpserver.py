"""The booth port's HTTP server: werkzeug's threaded server, with the limits a public event needs.

werkzeug's development server starts a thread for every connection and reads a request for as long as the client
takes. 1,500 connections that sent their headers and part of a body held 1,504 threads, none was ever closed, and
each one dropped logged a traceback (issue 18). Here:

- at most ``max_connections`` connections are served at once, each on its own thread; past that the accept loop
  waits (the kernel queues new connections) after closing the oldest connection that has nothing to read two
  seconds after it was accepted, so a crowd of half-sent requests cannot keep a visitor's quick one out (a visitor's
  request arrives in milliseconds; a connection being answered, or whose bytes are there to read, is never closed);
- a request (line, headers and body) must arrive within ``request_seconds`` of its connection; after that its
  reader sees the end of the stream, the request is answered ``408`` and the thread is free;
- a client that hangs up or is too slow is one quiet line in the log, a few at most per minute however many
  (:class:`DroppedClients`), never a traceback.

The application learns through the WSGI environ whether its client has hung up (``photobooth.client_gone``) and
why the request's bytes ended early, if they did (``photobooth.request_ended``: ``"deadline"``, ``"hung up"``).
"""

from __future__ import annotations

import contextlib
import io
import logging
import select
import socket
import socketserver
import threading
import time
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler

log = logging.getLogger("photobooth.local")

CLIENT_GONE = "photobooth.client_gone"
REQUEST_ENDED = "photobooth.request_ended"


class Connections:
    """Slots for connections, and which of them wait for their client's bytes (and when they were accepted)."""

    def __init__(self, limit: int, patience: float = 2.0) -> None:
        self.limit = limit
        self.patience = patience  # a connection younger than this is never closed to make room
        self._free = threading.BoundedSemaphore(limit)
        self._lock = threading.Lock()
        self._waiting_for_client: dict[socket.socket, float] = {}

    def take(self, timeout: float) -> bool:
        """A slot for one more connection. When none is free, the oldest connection that still waits for its
        client's bytes ``patience`` seconds after it was accepted, with none there to read, is closed to make room
        (its reader sees the end of the stream)."""
        if self._free.acquire(blocking=False):
            return True
        self._close_the_slowest()
        return self._free.acquire(timeout=timeout)

    def give_back(self) -> None:
        self._free.release()

    def waiting_for(self, connection: socket.socket, accepted: float) -> None:
        with self._lock:
            self._waiting_for_client[connection] = accepted

    def received(self, connection: socket.socket) -> None:
        with self._lock:
            self._waiting_for_client.pop(connection, None)

    def _close_the_slowest(self) -> None:
        with self._lock:
            accepted_before = time.monotonic() - self.patience
            # Bytes waiting to be read mean a busy server thread, not a slow client (a burst of calls starves both).
            slow = {c: t for c, t in self._waiting_for_client.items() if t <= accepted_before and not _readable(c, 0)}
            if not slow:
                return
            slowest = min(slow, key=slow.__getitem__)
            del self._waiting_for_client[slowest]
        with contextlib.suppress(OSError):  # already closed by its client
            slowest.shutdown(socket.SHUT_RDWR)


class DroppedClients:
    """One line for a client that hung up or was too slow, then at most one every ``every`` seconds, counting the
    rest: 1,500 dropped connections are a handful of lines, not 1,500 tracebacks."""

    def __init__(self, every: float = 10.0) -> None:
        self.every = every
        self._lock = threading.Lock()
        self._last_line = float("-inf")
        self._unreported = 0

    def dropped(self, what: str) -> None:
        with self._lock:
            self._unreported += 1
            now = time.monotonic()
            if now - self._last_line < self.every:
                return
            count, self._unreported, self._last_line = self._unreported, 0, now
        more = f" (and {count - 1} more since the last such line)" if count > 1 else ""
        log.warning("dropped a client: %s%s", what, more)


class _DeadlineSocketReader(io.RawIOBase):
    """The connection's bytes until the request's deadline; after it, or when the client hangs up, the end of the
    stream. Ending the stream (instead of raising) lets werkzeug finish the way it does for a client that hung up:
    a short body raises ``ClientDisconnected``, a cut header ends the connection quietly."""

    def __init__(self, connection: socket.socket, request_seconds: float, connections: Connections) -> None:
        self._connection = connection
        self._accepted = time.monotonic()
        self._deadline = self._accepted + request_seconds
        self._connections = connections
        self.ended: str | None = None  # why the stream ended early: "deadline" or "hung up"

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self._deadline - time.monotonic()
        if left <= 0:
            self.ended = "deadline"
            return 0
        self._connections.waiting_for(self._connection, self._accepted)
        try:
            if not _readable(self._connection, left):
                self.ended = "deadline"
                return 0
            received = self._connection.recv_into(buffer)
        except OSError:  # reset by the client, or closed to make room for another connection
            received = 0
        finally:
            self._connections.received(self._connection)
        if not received and self.ended is None:
            self.ended = "hung up"
        return received


def _readable(connection: socket.socket, timeout: float) -> bool:
    """poll, not select: select cannot watch a descriptor numbered over 1023, and 1,500 connections have them."""
    poller = select.poll()
    poller.register(connection, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(max(0, int(timeout * 1000))))


def client_hung_up(connection: socket.socket) -> bool:
    """Whether the client closed its side (or reset it). A client that is still there sends nothing while it
    waits for its answer, so there is nothing to read; the end of the stream reads as zero bytes."""
    try:
        if not _readable(connection, 0):
            return False
        return connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


class _BoundedRequestHandler(WSGIRequestHandler):
    server: BoothHTTPServer

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.write_seconds)  # sending to a client that reads nothing ends too
        self.rfile.close()  # the socket's own reader is replaced before anything was read from it
        self._reader = _DeadlineSocketReader(self.connection, self.server.request_seconds, self.server.connections)
        self.rfile = io.BufferedReader(self._reader)

    def make_environ(self) -> Any:
        environ = super().make_environ()
        connection = self.connection
        environ[CLIENT_GONE] = lambda: client_hung_up(connection)
        environ[REQUEST_ENDED] = lambda: self._reader.ended
        return environ

    def connection_dropped(self, error: BaseException, environ: Any = None) -> None:
        self.server.dropped.dropped(f"{error.__class__.__name__} while answering it")


class BoothHTTPServer(socketserver.ThreadingMixIn, BaseWSGIServer):
    """werkzeug's threaded WSGI server with a bounded number of connections and a deadline for each request."""

    multithread = True
    daemon_threads = True
    # The kernel's queue of connections not yet accepted costs no thread. werkzeug's 128 overflowed in a burst of 400
    # calls, and the overflow reached clients as "connection reset". Linux caps it at net.core.somaxconn.
    request_queue_size = 1024

    def __init__(
        self,
        host: str,
        port: int,
        app: Any,
        *,
        max_connections: int = 64,
        request_seconds: float = 15.0,
        write_seconds: float = 60.0,
    ) -> None:
        self.connections = Connections(max_connections)
        self.request_seconds = request_seconds
        self.write_seconds = write_seconds
        self.dropped = DroppedClients()
        super().__init__(host, port, app, handler=_BoundedRequestHandler)

    def get_request(self) -> tuple[socket.socket, Any]:
        # An OSError here makes socketserver skip this round: the connection stays queued and shutdown() still works.
        if not self.connections.take(timeout=0.5):
            raise OSError("every connection slot is busy")
        try:
            return super().get_request()
        except BaseException:
            self.connections.give_back()
            raise

    def shutdown_request(self, request: Any) -> None:
        """Called once for every accepted connection, however it ended."""
        try:
            super().shutdown_request(request)
        finally:
            self.connections.received(request)
            self.connections.give_back()
