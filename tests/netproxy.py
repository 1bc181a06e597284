"""A TCP proxy the tests control, to cut a box off its storage and give it back.

``Proxy(host, port)`` listens on 127.0.0.1 on a free port (``.port``) and forwards bytes both
ways to ``host:port``, one thread per direction of each connection. ``cut()`` closes every open
connection at once (both peers see the connection end, as when a link or a NAT entry goes) and
drops each new one on arrival until ``restore()``; ``close()`` stops it all. Stdlib only::

    with Proxy("127.0.0.1", 5432) as proxy:
        url = f"postgresql+psycopg://user@127.0.0.1:{proxy.port}/db"
        ...
        proxy.cut()
        ...
        proxy.restore()

Sockets are shut down, never closed, from outside their threads: the last of a connection's
two pumping threads closes both ends, so no descriptor is reused under a thread still reading.
"""

from __future__ import annotations

import selectors
import socket
import struct
import threading
from types import TracebackType

CHUNK = 65536


def _reset(sock: socket.socket) -> None:
    """Make ``close()`` send a RST rather than a FIN: the peer learns at once."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass


class _Link:
    """One client connection and its upstream connection."""

    def __init__(self, client: socket.socket, upstream: socket.socket) -> None:
        self.client, self.upstream = client, upstream
        self._lock = threading.Lock()
        self._pumps = 2

    def shut(self) -> None:
        """End both connections; wakes the pumping threads, which then close the sockets."""
        for sock in (self.client, self.upstream):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def pump_done(self) -> bool:
        """Called once by each pump as it ends; True for the last one (it closed the sockets)."""
        with self._lock:
            self._pumps -= 1
            last = self._pumps == 0
        if last:
            self.client.close()
            self.upstream.close()
        return last


class Proxy:
    """Forwards 127.0.0.1:``port`` to ``target_host``:``target_port`` until told otherwise."""

    def __init__(self, target_host: str, target_port: int, connect_timeout: float = 5.0) -> None:
        self.target = (target_host, target_port)
        self.connect_timeout = connect_timeout
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._links: set[_Link] = set()
        self._cut = False
        self._closed = False
        self.accepted = 0  # connections that got through (for tests that want to know)
        self.dropped = 0  # connections dropped on arrival while cut
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port: int = self._listener.getsockname()[1]
        self._wake_r, self._wake_w = socket.socketpair()
        self._acceptor = threading.Thread(
            target=self._accept_loop, name="proxy-accept", daemon=True
        )
        self._acceptor.start()

    # -- control ---------------------------------------------------------------------------
    @property
    def is_cut(self) -> bool:
        return self._cut

    def cut(self, timeout: float = 5.0) -> None:
        """Close every open connection now and drop new ones until :meth:`restore`.

        Returns once every cut connection's threads have closed their sockets (or after
        ``timeout``), so the peers have been told when it returns.
        """
        with self._lock:
            self._cut = True
            links = list(self._links)
        for link in links:
            link.shut()
        with self._idle:
            self._idle.wait_for(lambda: not self._links, timeout)

    def restore(self) -> None:
        """Let new connections through again (those cut stay cut: clients reconnect)."""
        with self._lock:
            self._cut = False

    def close(self) -> None:
        """Stop listening and end every connection."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self.cut()
        self._wake_w.send(b"x")
        self._acceptor.join(5)
        for sock in (self._listener, self._wake_r, self._wake_w):
            sock.close()

    def __enter__(self) -> Proxy:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- threads ---------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        with selectors.DefaultSelector() as sel:
            sel.register(self._listener, selectors.EVENT_READ)
            sel.register(self._wake_r, selectors.EVENT_READ)
            while not self._closed:
                for key, _ in sel.select():
                    if key.fileobj is self._wake_r or self._closed:
                        return
                    try:
                        client, _addr = self._listener.accept()
                    except OSError:
                        continue
                    if self._cut:
                        self._drop(client)
                    else:
                        threading.Thread(
                            target=self._connect, args=(client,), name="proxy-link", daemon=True
                        ).start()

    def _drop(self, client: socket.socket) -> None:
        with self._lock:
            self.dropped += 1
        _reset(client)
        client.close()

    def _connect(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=self.connect_timeout)
        except OSError:
            self._drop(client)  # the target is away: so is the proxy, for this client
            return
        upstream.settimeout(None)
        for sock in (client, upstream):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        link = _Link(client, upstream)
        with self._lock:
            if self._cut or self._closed:
                refused = True
            else:
                refused = False
                self._links.add(link)
                self.accepted += 1
        if refused:  # cut while connecting upstream
            _reset(client)
            client.close()
            upstream.close()
            return
        threading.Thread(
            target=self._pump, args=(link, upstream, client), name="proxy-down", daemon=True
        ).start()
        self._pump(link, client, upstream)

    def _pump(self, link: _Link, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(CHUNK):
                dst.sendall(data)
        except OSError:
            pass
        link.shut()  # one side ended: end the other, as a cut link would
        if link.pump_done():
            with self._idle:
                self._links.discard(link)
                self._idle.notify_all()
