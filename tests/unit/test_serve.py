"""The web process's daphne: autobahn's per-frame debug-line arguments are not formatted, and a
connection with nothing waiting sends a frame at once."""

from unittest import mock

import click
from autobahn.twisted.websocket import WebSocketServerProtocol

from mudserver.serve import autobahn_log_arguments_plain


def test_sending_a_frame_formats_no_debug_line_arguments():
    autobahn_log_arguments_plain()
    protocol = WebSocketServerProtocol()
    protocol.transport = mock.Mock()
    protocol.send_queue = []
    protocol.state = WebSocketServerProtocol.STATE_OPEN
    protocol.trafficStats = mock.Mock(outgoingOctetsWireLevel=0)
    protocol.peer = "tcp4:127.0.0.1:5000"
    protocol.logOctets = False
    with mock.patch.object(click, "style", side_effect=AssertionError("formatted a debug argument")) as style:
        protocol.sendData(b"\x81\x02hi")
    protocol.transport.write.assert_called_once_with(b"\x81\x02hi")
    assert not style.called


def test_a_new_connection_pretty_prints_its_configuration_only_for_a_debug_line_written():
    import pprint

    import autobahn.websocket.protocol
    from autobahn.twisted.websocket import WebSocketServerFactory

    autobahn_log_arguments_plain()
    protocol = WebSocketServerProtocol()
    protocol.factory = WebSocketServerFactory()
    protocol.transport = mock.Mock()
    with mock.patch.object(pprint.PrettyPrinter, "pformat", side_effect=AssertionError("formatted")) as formatting:
        protocol._connectionMade()
    assert not formatting.called
    shown = autobahn.websocket.protocol.pformat([("openHandshakeTimeout", 5)])
    assert f"{shown}" == str(shown) == "[('openHandshakeTimeout', 5)]"  # as pprint would show it
    assert str(autobahn.websocket.protocol.Timings()) == "{}"  # its other use still gives a str


def _connection(sending, reactor):
    from twisted.internet import tcp

    connection = tcp.Connection(sending, mock.Mock(), reactor=reactor)
    connection.connected = True
    return connection


def test_a_connection_with_nothing_waiting_sends_at_once_without_the_reactor():
    import socket

    from twisted.internet import tcp

    from mudserver.serve import twisted_write_through

    twisted_write_through()
    installed = tcp.Connection.write
    twisted_write_through()  # installed once, however often asked
    assert tcp.Connection.write is installed
    sending, receiving = socket.socketpair()
    receiving.settimeout(5)  # buffered for the reactor, nothing would arrive
    reactor = mock.Mock()
    connection = _connection(sending, reactor)
    connection.write(b"one frame")
    connection.write(b", then another")
    assert receiving.recv(100) == b"one frame, then another"
    assert not reactor.addWriter.called


def test_what_the_socket_does_not_take_is_buffered_in_order_for_the_reactor():
    import socket

    from mudserver.serve import twisted_write_through

    twisted_write_through()
    sending, receiving = socket.socketpair()
    sending.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    reactor = mock.Mock()
    connection = _connection(sending, reactor)
    big, after = bytes(range(256)) * 4096, b"after"  # 1 MiB: more than the socket takes at once
    connection.write(big)
    assert reactor.addWriter.called  # the rest waits for the reactor
    waiting = connection._tempDataLen
    assert 0 < waiting < len(big)
    connection.write(after)  # something waits: buffered behind it, never sent ahead of it
    assert connection._tempDataLen == waiting + len(after)
    received = b""
    while len(received) < len(big) + len(after):
        received += receiving.recv(1 << 20)
        connection.doWrite()  # what the reactor does when the socket can take more
    assert received == big + after
