"""The MLLP listener: python-hl7's asyncio MLLP streams, one task per connection, each message
handled in a worker thread (the Django ORM is synchronous) and acknowledged after its commit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import hl7.mllp

from lianxin.interfaces.hl7.inbound import handle_bytes

log = logging.getLogger(__name__)
# Large enough for a long cumulative report; a block over it is answered by closing.
BLOCK_LIMIT = 4 * 1024 * 1024
SWEEP_SECONDS = 15


def _handle(raw: bytes) -> bytes:
    return handle_bytes(raw)


async def _connection(
    reader: hl7.mllp.HL7StreamReader,
    writer: hl7.mllp.HL7StreamWriter,
    executor: ThreadPoolExecutor,
) -> None:
    loop = asyncio.get_running_loop()
    peer = writer.get_extra_info("peername")
    try:
        while True:
            try:
                block = await reader.readblock()
            except asyncio.IncompleteReadError:
                break  # the sender closed the connection
            except hl7.mllp.InvalidBlockError:
                log.warning("MLLP block without <VT> from %s: closing", peer)
                break
            except ValueError:
                log.warning("MLLP block over %s bytes from %s: closing", BLOCK_LIMIT, peer)
                break
            ack = await loop.run_in_executor(executor, _handle, block)
            writer.writeblock(ack)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def serve(
    host: str,
    port: int,
    *,
    ready: Callable[[int], None] | None = None,
    workers: int = 8,
    initializer: Callable[[], None] | None = None,
    deliver_orders: bool = True,
) -> None:
    """Listen until cancelled; ``ready`` gets the bound port (port 0 picks a free one).
    ``initializer`` runs in each worker thread first (tests share their database connection)."""
    executor = ThreadPoolExecutor(
        max_workers=workers, thread_name_prefix="hl7", initializer=initializer
    )
    server = await hl7.mllp.start_hl7_server(
        lambda r, w: _connection(r, w, executor), host, port, limit=BLOCK_LIMIT
    )
    bound = server.sockets[0].getsockname()[1]
    if ready is not None:
        ready(bound)
    sweep = asyncio.create_task(_deliver_due_orders(executor)) if deliver_orders else None
    try:
        async with server:
            await server.serve_forever()
    finally:
        if sweep is not None:
            sweep.cancel()
        executor.shutdown(wait=True, cancel_futures=False)


async def _deliver_due_orders(executor: ThreadPoolExecutor) -> None:
    """Orders waiting for a retry are sent from here where the task backend cannot defer."""
    from lianxin.interfaces.hl7.outbound import deliver_due

    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(SWEEP_SECONDS)
        try:
            await loop.run_in_executor(executor, deliver_due)
        except Exception:  # a failed sweep is logged and tried again at the next one
            log.exception("delivering due HL7 orders failed")


def start_in_thread(host: str, port: int) -> int:
    """Run the listener in a daemon thread beside another server (the demo's web server);
    returns the bound port."""
    import threading

    bound: dict[str, int] = {}
    ready = threading.Event()

    def on_ready(p: int) -> None:
        bound["port"] = p
        ready.set()

    def run() -> None:
        try:
            asyncio.run(serve(host, port, ready=on_ready))
        except OSError as exc:
            log.error("HL7 listener could not start on %s:%s: %s", host, port, exc)
            ready.set()

    threading.Thread(target=run, name="hl7-listener", daemon=True).start()
    ready.wait(10)
    return bound.get("port", port)
