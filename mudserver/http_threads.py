"""HTTP requests run their synchronous part on a fixed set of threads, each keeping one database
connection, so that a web process holds a bounded number of connections whatever the traffic.

Django's ASGI handler gives each request a thread of its own for its middleware, view and session
save; the connection the request opens stays with that thread after it ends (persistent connections
do not work under ASGI: Django ticket #33497) until the garbage collector happens to free it, so a
few hundred page loads held as many connections and MariaDB refused everyone else. Here a request
waits for one of settings.WEB_HTTP_THREADS threads and runs there, as under a threaded WSGI server:
the thread keeps its connection between requests and renews it after CONN_MAX_AGE."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext

# Need no database connection in the request's thread (the health check opens and closes its own,
# mudserver.health) and must answer while slow admin pages keep every HTTP thread busy: Django's
# thread per request, as before.
OWN_THREAD_PATHS = frozenset({"/healthz", "/metrics"})


class HttpThreads:
    """ASGI middleware for the "http" scope."""

    def __init__(self, app, threads: int):
        self.app = app
        self.free: asyncio.Queue[ThreadPoolExecutor] = asyncio.Queue()
        for n in range(threads):
            self.free.put_nowait(ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"http-{n}"))

    async def __call__(self, scope, receive, send):
        if scope["path"] in OWN_THREAD_PATHS:
            return await self.app(scope, receive, send)
        executor = await self.free.get()
        try:
            # Every thread-sensitive call of this request (Django's own ThreadSensitiveContext inside
            # defers to this one) runs on this thread. A request whose client left may still be
            # running there: the next one queues behind it on the same thread, never beside it.
            async with ThreadSensitiveContext(executor=executor):
                await self.app(scope, receive, send)
        finally:
            self.free.put_nowait(executor)
