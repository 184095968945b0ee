"""The game's WebSocket: parse frames, authorise, hand lines to the scene router, send what comes
back. Game rules live in the scenes' services; this only wires a socket to them."""

import asyncio
import json
import time
import weakref
from collections import deque
from urllib.parse import parse_qs

import structlog
from autobahn.exception import Disconnected
from channels.auth import get_user
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import parse_accept_lang_header
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import MaxConnectionsError, RedisError

from mudserver import drain, hooks, metrics, push
from mudserver.client_address import client_address
from mudserver.failures import DATABASE_UNAVAILABLE, failure_of
from mudserver.logs import command_logging
from mudserver.markup import escape, red, yellow
from mudserver.player_keys import player_keys_keep, player_leave
from mudserver.presence import heartbeat, presence_claim
from mudserver.protocol import (
    OUTPUT_TEXT_PREFIX,
    STATUS_TEXT_PREFIX,
    BadFrame,
    error_frame,
    frame_parse,
    output_frame,
    output_text_with_commands,
    pong_frame,
)
from mudserver.ratelimit import EventCounter, FrameBudget
from mudserver.router import (
    SCENES,
    Arrival,
    Context,
    arrival_run,
    departure_run,
    enter_scene,
    route_line,
    scene_commands,
)
from mudserver.scene_store import player_meta_save, scene_load, scene_save
from mudserver.sessions import (
    session_key_of_cookie,
    session_lang_set,
    session_store,
    session_user_end,
    session_user_store,
)

log = structlog.get_logger(__name__)

CLOSE_TAKEOVER = 4001
CLOSE_SERVICE_RESTART = drain.CLOSE_SERVICE_RESTART
CLOSE_BAD_FRAMES = 4008
CLOSE_TRY_AGAIN = 4013  # the application's form of 1013 "try again later" (autobahn refuses the standard one)
SLOW_COMMAND_SECONDS = 0.2  # logged: a command should take milliseconds
# At most one slow-command line a second per process, with how many went unlogged before it: an
# overloaded process logging every slow command (16,000 lines in 5 minutes under the load test)
# spends its CPU on the log and gets slower still. The metrics count every command.
SLOW_COMMAND_LOG_EVERY = 1.0
LANG_CODES = {code for code, _name in settings.LANGUAGES}


class SlowCommandLog:
    """Logs a slow command, unless one was logged less than SLOW_COMMAND_LOG_EVERY ago: then it is
    counted, and the next line says how many were not logged (`unlogged`)."""

    def __init__(self) -> None:
        self.logged_at = -SLOW_COMMAND_LOG_EVERY
        self.unlogged = 0

    def note(self, frame_type: str, elapsed: float) -> None:
        now = time.monotonic()
        if now - self.logged_at < SLOW_COMMAND_LOG_EVERY:
            self.unlogged += 1
            return
        log.warning("slow command", type=frame_type, ms=round(elapsed * 1000), unlogged=self.unlogged)
        self.logged_at, self.unlogged = now, 0


_slow_commands = SlowCommandLog()

_openings: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]" = weakref.WeakKeyDictionary()


def opening_turn() -> asyncio.Semaphore:
    """At most GATE["OPENINGS_AT_ONCE"] connections of this process greet or resume their player at
    once; the others wait their turn, first come first served. When another web process restarts,
    hundreds of its players reconnect here within a second: all resuming together, each step of each
    resume would queue ahead of every command of the players already here (their p95 rose to
    1.3-2.2 s); in turns, the resumes take as long in all and the others wait behind a few."""
    loop = asyncio.get_running_loop()
    turn = _openings.get(loop)
    if turn is None:
        turn = _openings[loop] = asyncio.Semaphore(max(1, settings.GATE["OPENINGS_AT_ONCE"]))
    return turn


# This process's consumers, for the gauges, read when /metrics is scraped (from another thread:
# tuple() copies the set in one step under the GIL), and for a drain.
_consumers: set["GameConsumer"] = set()
metrics.WEBSOCKET_CONNECTIONS.set_function(lambda: len(_consumers))
metrics.CONNECTED_PLAYERS.set_function(
    lambda: sum(1 for consumer in tuple(_consumers) if consumer.ctx is not None and consumer.ctx.signed_in)
)


def live_consumers() -> tuple["GameConsumer", ...]:
    return tuple(_consumers)


# This process's sockets by connection (channel name), for what players are told (mudserver.mailbox).
_by_connection: dict[str, "GameConsumer"] = {}


async def items_to_connection(connection: str, character_id: int | None, items: list) -> None:
    consumer = _by_connection.get(connection)
    if consumer is not None and character_id in (None, consumer.ctx.character_id):
        await consumer.told(items)


class GameConsumer(AsyncWebsocketConsumer):
    ctx: Context | None = None  # set on connect
    heartbeat: asyncio.Task | None = None
    redis_gone = False  # set by redis_lost
    left = False  # set by _leave, which runs once whatever ends the connection
    closed = False  # set when told to close (a takeover, a kick, a ban) or drained
    admitted = False  # its opening's turn came (opening_turn): until then a drain closes it at once
    last_status = ""  # the last status frame sent on this socket, encoded
    last_commands: tuple[str, ...] | None = None  # the last `commands` sent on this socket
    # What the player was told while a command was in hand, or that waits for one (a move, a
    # close): sent in order once the command's reply has gone (told).
    waiting: deque | None = None
    waiting_task: asyncio.Task | None = None

    async def __call__(self, scope, receive, send):
        # Counted for exactly the consumer's life, even when its connect fails half-way.
        _consumers.add(self)
        try:
            await super().__call__(scope, receive, send)
        except MaxConnectionsError:
            # This process's pool is at its cap (a thousand sockets closing at once): Redis is
            # there, so this one connection ends as on any error, and the others play on.
            raise
        except RedisConnectionError as error:
            # Redis restarted, empty, or went away. The channel layer's wait for this process's
            # messages notices first, in one consumer, whose loop this ends: reconnect every socket.
            log.warning("redis connection lost: reconnecting this process's players", error=str(error))
            await asyncio.gather(*(consumer.redis_lost() for consumer in live_consumers()), return_exceptions=True)
        finally:
            await self._leave_on_exit()
            _consumers.discard(self)
            _by_connection.pop(getattr(self, "channel_name", ""), None)

    async def dispatch(self, message):
        """Channels' own dispatch first hops to the database thread to close stale connections, for
        every frame and every push; here every database call already goes through
        database_sync_to_async, which does that itself, so the hop only queued each message behind
        the process's single database thread (8 % of daphne's CPU at 1,000 players)."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        self.command_lock = asyncio.Lock()  # a drain waits for the command in hand (mudserver.drain)
        game = settings.GAME
        address = client_address(self.scope)
        self.bad_frames = EventCounter(window=game["BAD_FRAME_WINDOW"])
        self.budget = FrameBudget(address)
        self.chats = EventCounter(window=game["CHAT_RATE_WINDOW"])
        # The page's signed cookie names this browser's session (mudserver.sessions); other clients have none.
        self.session_key = session_key_of_cookie(self.scope["cookies"].get(settings.GAME_SESSION_COOKIE_NAME))
        self.scope["session"] = session_store()(self.session_key)
        self.ctx = Context(connection=self, lang=self._initial_lang(await self._session_lang()), ip=address)
        await self.accept()
        if drain.draining:  # accepted just before the process stopped listening
            await self.close(code=CLOSE_SERVICE_RESTART)
            return
        _by_connection[self.channel_name] = self
        # What the player is told while the connection opens waits for its opening frames.
        async with self.command_lock:
            await self._open_in_turn()

    async def _open_in_turn(self) -> None:
        """Greet or resume the player when this process's turn for openings comes (opening_turn);
        if the process began to drain meanwhile, close instead: the client reconnects elsewhere."""
        async with opening_turn():
            self.admitted = True
            if drain.draining:
                await self.close(code=CLOSE_SERVICE_RESTART)
                return
            await self._open()

    async def _open(self) -> None:
        with translation.override(self.ctx.lang):
            try:
                text, arrival = await self._resume()
            except Exception as error:
                # A signed-in session resumes from the database: while it is away, say so and close
                # with "try again later", on which clients reconnect after their backoff.
                await self._refuse(error, type="connect")
                await self.close(code=CLOSE_TRY_AGAIN)
                return
            status = await hooks.status_frame.get()(self.ctx.character_id, self.ctx.name)
            await self._send_output(text)
            await self._send(status)
            for frame in arrival.frames:
                await self._send(frame)

    async def _resume(self) -> tuple[str, Arrival]:
        """The opening text: the title screen, or the scene where the session's player left off."""
        # The user is looked up here, not by channels' AuthMiddleware, so that a failure of the
        # database gets an error frame like any command's instead of a failed handshake.
        user = await get_user(self.scope)
        if not (user.is_authenticated and await self._activate(user.pk)):
            return await enter_scene(self.ctx, "front"), Arrival()
        self.ctx.load_scene(await scene_load(self.ctx.character_id))
        arrival = await arrival_run(self.ctx)
        if arrival.scene or self.ctx.scene not in SCENES:
            self.ctx.scene, self.ctx.data = arrival.scene or arrival.landing or "front", {}
        welcome = yellow(_("Welcome back, %(name)s.") % {"name": escape(self.ctx.name)})
        parts = [welcome, arrival.text, await SCENES[self.ctx.scene].enter(self.ctx)]
        await scene_save(self.ctx.character_id, self.ctx.dump_scene())
        return "\n".join(part for part in parts if part), arrival

    async def disconnect(self, code):
        await self._leave()

    async def drain(self) -> None:
        """This web process is stopping (mudserver.drain): answer the command in hand, tell the
        player and close, so that the client reconnects to another one.

        A move, not a departure: the player is back within seconds on a process that finds them
        still in their chat channel, arena room and watched battle, so no one sees them leave and
        join, and no away summary greets them. One who never comes back is swept as the player of a
        killed process is, once their heartbeat expires (chat.services.presence_sweep)."""
        if not self.admitted:  # still connecting, or waiting for its turn to open
            await self.close(code=CLOSE_SERVICE_RESTART)
            return
        async with self.command_lock:
            with translation.override(self.ctx.lang):
                await self._send_output(yellow(_("This server is restarting; reconnecting you to another one...")))
            self._forget_account()
            self.closed = True  # the takeover by the next process finds nothing left to close here
            await self.close(code=CLOSE_SERVICE_RESTART)

    async def redis_lost(self) -> None:
        """Redis restarted (it keeps nothing on disk) or went away, taking this player's hot state,
        presence and groups: tell the player and close, so that the client reconnects and connecting
        loads the character from the database again."""
        if self.redis_gone:
            return
        self.redis_gone = True
        if self.ctx is None:  # still connecting
            await self.close(code=CLOSE_SERVICE_RESTART)
            return
        async with self.command_lock:
            with translation.override(self.ctx.lang):
                notice = _("The game server restarted; reconnecting you. The last few seconds of play may be lost.")
                await self._send_output(yellow(notice))
            # Nothing to leave on the way out: it went with Redis, which may still be down.
            self._forget_account()
            await self.close(code=CLOSE_SERVICE_RESTART)

    async def receive(self, text_data=None, bytes_data=None):
        async with self.command_lock:
            if drain.draining or self.redis_gone:
                return  # the socket is closing: the client reconnects and types again
            await self._receive(text_data, bytes_data)

    async def _receive(self, text_data, bytes_data):
        with translation.override(self.ctx.lang):
            # The gate, before anything else runs: every frame draws on the budget, then the frame is
            # measured and parsed, and anything that fails to parse is a bad frame.
            if not await self.budget.take(self.ctx.user_id):
                await self._send_error("rate_limited", _("Too many commands at once; slow down a little."))
                return
            try:
                frame = frame_parse(text_data, bytes_data)
            except BadFrame as bad:
                await self._send_error(bad.code, bad.text)
                if self.bad_frames.add() > settings.GAME["BAD_FRAME_LIMIT"]:
                    await self.close(code=CLOSE_BAD_FRAMES)
                return
            # Every line logged while the frame is handled (and every task it publishes) carries its id.
            with command_logging(character_id=self.ctx.character_id, scene=self.ctx.scene):
                started = time.monotonic()
                label = "chat" if frame["type"] == "chat" else self.ctx.scene
                try:
                    await self._handle(frame)
                except Exception as error:
                    await self._refuse(error, type=frame["type"])  # not the line: it may be a password
                elapsed = time.monotonic() - started
                if frame["type"] != "ping":
                    metrics.command_observe(label, elapsed)
                if elapsed > SLOW_COMMAND_SECONDS:
                    _slow_commands.note(frame["type"], elapsed)

    async def _handle(self, frame):
        if frame["type"] == "ping":
            await self._send(pong_frame())
            return
        if frame["type"] == "chat":
            await self._chat(frame)
            return
        # The scene is the connection's own (loaded when it connected); those who move a player
        # elsewhere tell the connection in turn with its commands (told).
        before = self.ctx.dump_scene()
        # A change to the player's status bar made by the command goes with its reply (mudserver.push).
        me = {"id": self.ctx.character_id, "status": False}
        token = push.commanding.set(me)
        try:
            output = await route_line(self.ctx, frame["line"])
        finally:
            push.commanding.reset(token)
        if self.ctx.signed_in and self.ctx.dump_scene() != before:
            await scene_save(self.ctx.character_id, self.ctx.dump_scene())
        # The status bar is read before the reply is sent, so that both frames leave in one write.
        status = None
        if output.status or me["status"]:
            status = await hooks.status_frame.get()(self.ctx.character_id, self.ctx.name)
        await self._send(output_frame(scene=output.scene, text=output.text, input=output.input, lang=self.ctx.lang))
        if status is not None:
            await self._send(status)

    async def _chat(self, frame):
        if not self.ctx.signed_in:
            await self._send_error("not_signed_in", _("Sign in to chat."))
            return
        game = settings.GAME
        if self.chats.add() > game["CHAT_RATE"]:
            text = _("You are chatting too fast: at most %(count)d messages in %(seconds)d seconds.") % {
                "count": game["CHAT_RATE"],
                "seconds": game["CHAT_RATE_WINDOW"],
            }
            await self._send_error("rate_limited", text)
            return
        refusal = await hooks.frame_handlers.get("chat")(self.ctx, frame)
        if refusal is not None and refusal.code:
            await self._send_error(refusal.code, refusal.text)
        elif refusal is not None:
            await self._send_output(red(refusal.text))

    # --- Connection (what scene handlers may ask of their connection)

    async def sign_in(self, user) -> Arrival | None:
        if not await self._activate(user.pk):
            return None
        await self._session_write(session_user_store, user, self.ctx.lang)
        arrival = await arrival_run(self.ctx)
        for frame in arrival.frames:
            await self._send(frame)
        return arrival

    async def sign_out(self) -> None:
        # What needs the database first: if it is away this fails with nothing changed yet, and the
        # player is told to try again (mudserver.failures). What departing changes is written
        # behind like any change.
        character_id = self.ctx.character_id
        await self._session_write(session_user_end, self.ctx.user_id)
        for hook in hooks.sign_out_hooks:
            await hook(character_id)
        await departure_run(self.ctx)
        await self._release()

    async def set_language(self, lang: str) -> None:
        self.ctx.lang = lang
        if self.ctx.signed_in:  # before sign-in the connection keeps it: nothing is stored
            await self._session_write(session_lang_set, self.ctx.user_id, lang)
            await player_meta_save(self.ctx.character_id, name=self.ctx.name, lang=lang)

    async def session_keep(self, user) -> None:
        """The account's password changed: store this browser's session again with the new auth hash,
        so that of the account's sessions it alone still resumes."""
        await self._session_write(session_user_store, user, self.ctx.lang)

    # --- what the player is told (mudserver.push, through this process's mailbox)

    async def told(self, items: list) -> None:
        """Frames go out at once, unless a command is in hand: then they wait for its reply, as a
        move or a close always does, and whatever comes after them waits behind them."""
        items = self._unignored(items)
        if self.waiting is None and not self.command_lock.locked() and all(isinstance(i, str) for i in items):
            for text in items:
                await self._send_text(text)
            return
        if self.waiting is None:
            self.waiting = deque()
            self.waiting_task = asyncio.create_task(self._told_in_turn())
        self.waiting.extend(items)

    def _unignored(self, items: list) -> list:
        """What someone said, as its frame, unless the player ignores them: one set lookup each."""
        shown = []
        for item in items:
            if isinstance(item, dict) and "said_by" in item:
                if item["said_by"] in self.ctx.ignored:
                    continue
                item = item["frame"]
            shown.append(item)
        return shown

    async def _told_in_turn(self) -> None:
        async with self.command_lock:
            while self.waiting:
                item = self.waiting.popleft()
                try:
                    await self._told_one(item)
                except Exception:
                    log.exception("a told item failed", item=str(item)[:200])
            self.waiting = None

    async def _told_one(self, item: str | dict) -> None:
        if isinstance(item, str):
            await self._send_text(item)
        elif "scene" in item:
            # Moved (a battle's death, a match's start or end): the mover left the scene to the
            # connection, which keeps its player's scene, and writes it here, once.
            if self.ctx.signed_in:
                self.ctx.scene, self.ctx.data = item["scene"], {}
                await scene_save(self.ctx.character_id, self.ctx.dump_scene())
        elif "close" in item:
            await self._closed_by(code=item["close"], reason=item["reason"])
        elif self.ctx.signed_in:
            with translation.override(self.ctx.lang):
                for frame in await push.connection_actions.get(item["act"])(self.ctx, item):
                    await self._send(frame)

    async def _closed_by(self, *, code: int, reason: str) -> None:
        if self.closed:
            return
        with translation.override(self.ctx.lang):
            await self._send_output(yellow(CLOSE_REASONS[reason]()))
        if reason == "signed_in_elsewhere":
            self._forget_account()  # the new connection owns the account now
        else:  # kicked or banned: out of the game at once (presence, chat), as on leaving
            await self._leave()
        self.closed = True
        await self.close(code=code)

    # --- helpers

    async def _activate(self, user_id: int) -> bool:
        """Make this connection the account's only one, with its character's state hot in Redis."""
        character = await hooks.character_loader.get()(user_id)
        if character is None:
            return False
        for hook in hooks.sign_in_hooks:
            await hook(character)
        session_key = self.session_key or ""
        previous = await presence_claim(
            user_id=user_id,
            channel=self.channel_name,
            session=session_key,
            character_id=character.pk,
            name=character.name,
            level=character.level,
        )
        if previous is not None:
            await push.connection_close(previous.channel, code=CLOSE_TAKEOVER, reason="signed_in_elsewhere")
            if previous.session and previous.session != session_key:
                await database_sync_to_async(session_user_end)(previous.session, user_id)
        await player_meta_save(character.pk, name=character.name, lang=self.ctx.lang, channel=self.channel_name)
        await player_keys_keep(character.pk)
        self.ctx.user_id, self.ctx.character_id, self.ctx.name = user_id, character.pk, character.name
        self.ctx.staff = character.user.is_staff
        self.heartbeat = asyncio.create_task(self._beat(user_id, character.pk))
        return True

    async def _leave(self) -> None:
        if self.left:
            return
        self.left = True
        if self.ctx.signed_in:
            await departure_run(self.ctx)
            await self._release()

    async def _leave_on_exit(self) -> None:
        """Leave, if the disconnect did not, whatever ended the connection: an exception that escaped
        a handler (the socket closed with 1011), a connect that failed half-way."""
        self._heartbeat_stop()
        if self.ctx is None:
            return
        if not self.left:
            try:
                with translation.override(self.ctx.lang):
                    await self._leave()
            except Exception:
                log.exception("leaving failed")

    async def _release(self) -> None:
        self._heartbeat_stop()
        await player_leave(user_id=self.ctx.user_id, channel=self.channel_name, character_id=self.ctx.character_id)
        self.ctx.user_id = self.ctx.character_id = self.ctx.name = None
        self.ctx.staff = False
        self.ctx.ignored = set()

    async def _beat(self, user_id: int, character_id: int) -> None:
        """While this socket lives, say so: the sweep removes players whose web process died."""
        while True:
            try:
                await heartbeat(user_id=user_id, character_id=character_id)
            except RedisError as error:
                # Redis is restarting or away: beat again next time (a restart closes the socket: redis_lost).
                log.warning("heartbeat failed", error=str(error))
            await asyncio.sleep(settings.GAME["HEARTBEAT_SECONDS"])

    def _forget_account(self) -> None:
        """Drop the account from this socket without leaving: another connection owns it now, Redis
        lost what leaving would undo, or the player moves to another process (a drain). Its
        disconnect then has nothing to do."""
        self._heartbeat_stop()
        self.ctx.user_id = self.ctx.character_id = self.ctx.name = None
        self.ctx.staff = False
        self.ctx.ignored = set()

    def _heartbeat_stop(self) -> None:
        if self.heartbeat is not None:
            self.heartbeat.cancel()
            self.heartbeat = None

    async def _session_write(self, change, *args) -> None:
        """Store, change or delete the browser's session (sign in, language, sign out) in the
        database. A connection without the page's cookie (another client of the protocol, the load
        test) has no session to keep: a WebSocket cannot hand out a cookie, so one stored here could
        never be used again, and writing it would cost a sign-in storm a database insert per player."""
        if self.session_key is not None:
            await database_sync_to_async(change)(self.session_key, *args)

    async def _session_lang(self) -> str | None:
        """Loads the session too: from its cached copy, or from the database off the event loop."""
        try:
            return await self.scope["session"].aget("lang")
        except DATABASE_UNAVAILABLE:
            return None  # the sign-in that follows tells the player (see connect)

    def _initial_lang(self, session_lang: str | None) -> str:
        if session_lang in LANG_CODES:
            return session_lang
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        wanted = [code[:2].lower() for code in query.get("lang", [])]
        headers = dict(self.scope.get("headers") or [])
        accept = headers.get(b"accept-language", b"").decode("latin-1")
        wanted += [code[:2].lower() for code, _q in parse_accept_lang_header(accept)]
        return next((code for code in wanted if code in LANG_CODES), settings.LANGUAGE_CODE)

    async def _send(self, frame: dict) -> None:
        await self._send_text(json.dumps(frame, ensure_ascii=False))

    async def _send_text(self, text: str) -> None:
        if text.startswith(STATUS_TEXT_PREFIX):
            # PROTOCOL.md lets a status frame identical to the socket's last one be left out: a
            # command that shows the status bar, or a fight's cycle that changed none of it.
            if text == self.last_status:
                return
            self.last_status = text
        elif text.startswith(OUTPUT_TEXT_PREFIX):
            # An output frame carries the scene's commands only when they differ from the last ones
            # this socket sent (the client keeps them): the scene is the connection's, which a
            # pushed move has set before the frames that follow it.
            commands = scene_commands(self.ctx.scene, self.ctx.lang)
            if commands != self.last_commands:
                self.last_commands = commands
                text = output_text_with_commands(text, commands)
        try:
            await self.send(text_data=text)
        except Disconnected:
            # A push that raced the client's goodbye: drop it; the disconnect event that follows
            # still runs and cleans up (an exception here would skip it and leave a ghost).
            log.debug("frame dropped for a closed socket")

    async def _send_output(self, text: str) -> None:
        scene = SCENES[self.ctx.scene]
        await self._send(output_frame(scene=scene.name, text=text, input=scene.input, lang=self.ctx.lang))

    async def _refuse(self, error: Exception, **fields) -> None:
        """Answer what could not be done with an error frame (mudserver.failures): a condition of
        the moment, such as the database being away, is logged without a traceback."""
        failure = failure_of(error)
        if failure.expected:
            log.warning("command refused", code=failure.code, error=repr(error), **fields)
        else:
            log.exception("command failed", **fields)
        await self._send_error(failure.code, failure.text)

    async def _send_error(self, code: str, text: str) -> None:
        await self._send(error_frame(code, text))


CLOSE_REASONS = {
    "signed_in_elsewhere": lambda: _("This account has just signed in from another place; this connection is closed."),
    "kicked": lambda: _("A game master has disconnected you."),
    "banned": lambda: _("A game master has banned this account."),
}
