"""The web process's daphne: autobahn's per-frame debug-line arguments are not formatted."""

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
