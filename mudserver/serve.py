"""daphne on uvloop: `python -m mudserver.serve <daphne's arguments>`.

daphne builds Twisted's asyncio reactor on `asyncio.new_event_loop()` as it is imported, so the
policy is set first. uvloop's loop (libuv, in C) costs the web process less CPU per socket read,
write, timer and task than the pure-Python one (docs/PERFORMANCE.md)."""

import asyncio
from pprint import pformat

import uvloop

# Twisted listens with a queue of 50 connections: when a web process drains, its players reconnect
# to the others at once, and a queue that overflows drops their handshakes, which nginx then takes
# for a dead web process (and, with two, finds no live one). The kernel caps it at net.core.somaxconn.
LISTEN_BACKLOG = 4096


def _passed_through(value, *args, **kwargs):
    return value


class _FormattedWhenShown:
    """pformat(value), made only if a log line is written (when it is formatted)."""

    def __init__(self, value):
        self.value = value

    def __format__(self, spec: str) -> str:
        return format(pformat(self.value), spec)

    __str__ = __repr__ = lambda self: pformat(self.value)


def autobahn_log_arguments_plain() -> None:
    """autobahn builds its debug lines' arguments (names and values coloured with click) for every
    frame it sends and receives, whether or not debug logging is on: 4.7 % of a web process's CPU
    under the load test. The helpers pass values through instead; a debug line, if ever enabled,
    still shows them, uncoloured. Each new connection also pretty-prints its whole configuration for
    a debug line (a third of a millisecond, 3 % of a crowd's reconnects): formatted only if shown."""
    import autobahn.twisted.websocket
    import autobahn.websocket.protocol

    for module in (autobahn.websocket.protocol, autobahn.twisted.websocket):
        module.hltype = module.hlval = _passed_through
    autobahn.websocket.protocol.pformat = _FormattedWhenShown
    # The module's one other use must return a str (only when timings are tracked, which they are not).
    autobahn.websocket.protocol.Timings.__str__ = lambda self: pformat(self._timings)


def twisted_write_through() -> None:
    """Twisted buffers every write and sends it when the reactor next finds the socket writable: for
    each frame an add_writer, a turn of the loop, the send and a remove_writer (two epoll_ctl calls
    and a wake-up around one send). A TCP connection with nothing waiting to be sent now sends at
    once, as asyncio's own transports do; whatever the socket does not take (or an error, which the
    reactor's next write then meets and closes the connection on) goes the buffered way, after
    anything already waiting, so the order of bytes is kept."""
    from twisted.internet import tcp

    buffered_write = tcp.Connection.write
    if getattr(buffered_write, "writes_through", False):
        return

    def write(self, data: bytes) -> None:
        idle = not (self._tempDataLen or self.offset < len(self.dataBuffer) or self.disconnecting)
        if idle and type(data) is bytes and data and self.connected and not (self.TLS or self._writeDisconnected):
            sent = self.writeSomeData(data)
            if type(sent) is int and sent:
                if sent == len(data):
                    return
                data = data[sent:]
        buffered_write(self, data)

    write.writes_through = True
    tcp.Connection.write = write


def listen_backlog_raised() -> None:
    """daphne's `-b host -p port` becomes a TCP endpoint with Twisted's queue of 50; give it
    LISTEN_BACKLOG instead (an endpoint given with -e keeps what it says)."""
    import daphne.cli

    build = daphne.cli.build_endpoint_description_strings
    if getattr(build, "raises_backlog", False):
        return

    def endpoints(*args, **kwargs) -> list[str]:
        return [
            f"{endpoint}:backlog={LISTEN_BACKLOG}" if endpoint.startswith("tcp:") else endpoint
            for endpoint in build(*args, **kwargs)
        ]

    endpoints.raises_backlog = True
    daphne.cli.build_endpoint_description_strings = endpoints


def main() -> None:
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    from daphne.cli import CommandLineInterface

    autobahn_log_arguments_plain()
    twisted_write_through()
    listen_backlog_raised()
    CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
