"""daphne on uvloop: `python -m mudserver.serve <daphne's arguments>`.

daphne builds Twisted's asyncio reactor on `asyncio.new_event_loop()` as it is imported, so the
policy is set first. uvloop's loop (libuv, in C) costs the web process less CPU per socket read,
write, timer and task than the pure-Python one (docs/PERFORMANCE.md)."""

import asyncio

import uvloop


def main() -> None:
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    from daphne.cli import CommandLineInterface

    CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
