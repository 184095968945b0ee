"""A small game client over a real WebSocket, speaking PROTOCOL.md."""

import asyncio
import http.cookiejar
import itertools
import json
import urllib.request

import websockets

from mudserver.markup import strip

_names = itertools.count(1)
_addresses = itertools.count(2)


def fresh_address() -> str:
    """A loopback source address of its own, so per-IP limits of one test do not leak into others."""
    n = next(_addresses)
    return f"127.1.{n // 250 % 250}.{n % 250 + 1}"


def unique(prefix: str = "p") -> str:
    """A fresh username / character name (letters first, 4–16 characters)."""
    import os

    return f"{prefix}{os.getpid() % 10000}x{next(_names)}"


def session_cookie(base_url: str) -> str:
    """Load the page like a browser does and return its session cookie header."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(base_url + "/").read()
    return "; ".join(f"{c.name}={c.value}" for c in jar)


class Client:
    def __init__(self, ws):
        self.ws = ws
        self.pending: list[dict] = []
        self.bar: dict | None = None  # the character of the last status frame read: what the status bar shows

    @classmethod
    async def connect(
        cls,
        base_url: str,
        *,
        cookie: str | None = None,
        lang: str = "en",
        origin: bool = True,
        address: str | None = None,
        headers: dict[str, str] | None = None,
    ):
        headers = dict(headers or {}, **({"Cookie": cookie} if cookie else {}))
        ws = await websockets.connect(
            base_url.replace("http", "ws", 1) + f"/ws/game/?lang={lang}",
            additional_headers=headers,
            origin=base_url if origin else None,
            max_size=None,
            max_queue=None,  # tests read frames late; never stall the connection meanwhile
            local_addr=(address or fresh_address(), 0),
        )
        return cls(ws)

    async def close(self):
        await self.ws.close()

    async def next(self, kind: str | None = None, timeout: float = 10) -> dict:
        """The next frame (of `kind`), keeping the others for later."""
        for i, frame in enumerate(self.pending):
            if kind is None or frame["type"] == kind:
                return self.pending.pop(i)
        async with asyncio.timeout(timeout):
            while True:
                frame = json.loads(await self.ws.recv())
                if frame["type"] == "status":
                    self.bar = frame["character"]
                if kind is None or frame["type"] == kind:
                    return frame
                if frame["type"] == "error" and kind == "output":
                    raise AssertionError(f"expected output, got {frame}")
                self.pending.append(frame)

    async def until(self, predicate, kind: str = "output", timeout: float = 15) -> dict:
        """Wait for a pushed frame of `kind` that satisfies `predicate` (skipping others)."""
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.next(kind, timeout=timeout)
                if kind == "output":
                    frame["plain"] = strip(frame["text"])
                if predicate(frame):
                    return frame

    async def ask(self, line: str, expected: str, timeout: float = 15) -> dict:
        """Send a line and wait for the output that contains `expected`: during a fight, pushed
        feed frames may come first."""
        await self.send({"type": "command", "line": line})
        return await self.until(lambda frame: expected in frame["plain"], timeout=timeout)

    async def send(self, frame: dict | str | bytes) -> None:
        await self.ws.send(frame if isinstance(frame, str | bytes) else json.dumps(frame))

    async def command(self, line: str) -> dict:
        """Send a line and return its `output` frame, with `plain` added (the text without markup)."""
        await self.send({"type": "command", "line": line})
        frame = await self.next("output")
        frame["plain"] = strip(frame["text"])
        return frame

    async def status(self) -> dict | None:
        return (await self.next("status"))["character"]

    async def bar_now(self) -> dict | None:
        """The status bar once every frame sent before a ping has been read (a status frame like the
        last one is left out, PROTOCOL.md, so the bar is the last one read)."""
        await self.send({"type": "ping"})
        await self.next("pong")
        self.pending = [frame for frame in self.pending if frame["type"] != "status"]
        return self.bar

    async def welcome(self) -> dict:
        """The frames a connection opens with: the scene's output, then the status."""
        output = await self.next("output")
        output["plain"] = strip(output["text"])
        await self.next("status")
        return output

    async def sign_up(self, username: str | None = None, password: str = "secret12", name: str | None = None) -> str:
        username = username or unique("u")
        await self.command("up")
        await self.command(username)
        await self.command(password)
        out = await self.command(name or username)
        assert out["scene"] == "front", out
        await self.next("status")
        return username

    async def sign_in(self, username: str, password: str = "secret12") -> dict:
        await self.command("in")
        await self.command(username)
        return await self.command(password)


async def connected(base_url: str, **kwargs) -> Client:
    client = await Client.connect(base_url, **kwargs)
    await client.welcome()
    return client


async def connected_when_up(base_url: str, *, cookie: str | None = None, timeout: float = 30) -> tuple[Client, dict]:
    """Connect as a browser does while servers (re)start: retry refused or failed handshakes (nginx
    answers 502 until a web process is up). Returns the client and its welcome output."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            client = await Client.connect(base_url, cookie=cookie)
            return client, await client.welcome()
        except (OSError, websockets.InvalidStatus, websockets.ConnectionClosed):
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)


# Signed-in scenes and the lines that lead there from the main menu (`{room}`: the player's own room).
SCENE_PATHS = {
    "front": [],
    "delete_confirm": ["delete"],
    "village": ["v"],
    "story": ["v", "1"],
    "heal": ["v", "2"],
    "enhance": ["v", "3"],
    "gamble": ["v", "4"],
    "arena_npc": ["v", "5"],
    "skills": ["v", "skill"],
    "arena_lobby": ["v", "5", "2"],
    "arena_room": ["v", "5", "2", "create {room}"],
    "dungeon": ["d"],
    "dungeon_gate": ["d", "enter 1"],
    "encounter": ["d", "enter 1", "n"],
    "manual_battle": ["d", "enter 1", "n", "a"],
    "auto_battle": ["d", "enter 1", "a"],
    "arena_match": [],  # five more players join the room (Player.start); no path leads back into a match
}
