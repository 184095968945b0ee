"""daphne on uvloop: `python -m mudserver.serve <daphne's arguments>`.

daphne builds Twisted's asyncio reactor on `asyncio.new_event_loop()` as it is imported, so the
policy is set first. uvloop's loop (libuv, in C) costs the web process less CPU per socket read,
write, timer and task than the pure-Python one (docs/PERFORMANCE.md)."""

import asyncio

import uvloop


def _passed_through(value, *args, **kwargs):
    return value


def autobahn_log_arguments_plain() -> None:
    """autobahn builds its debug lines' arguments (names and values coloured with click) for every
    frame it sends and receives, whether or not debug logging is on: 4.7 % of a web process's CPU
    under the load test. The helpers pass values through instead; a debug line, if ever enabled,
    still shows them, uncoloured."""
    import autobahn.twisted.websocket
    import autobahn.websocket.protocol

    for module in (autobahn.websocket.protocol, autobahn.twisted.websocket):
        module.hltype = module.hlval = _passed_through


def main() -> None:
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    from daphne.cli import CommandLineInterface

    autobahn_log_arguments_plain()
    CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
