"""Running calls in threads of their own, as concurrent clients (each thread gets its own connection)."""

import threading
from collections.abc import Callable

from django.db import connections


def run_at_once(calls: list[Callable]) -> list:
    """Start every call in its own thread; their results (or exceptions) in order.

    Tests that use it need `django_db(transaction=True)`: each thread has its
    own database connection and sees only committed rows. The threads close
    their connections when done, so the test database can be flushed.
    """
    results: list = [None] * len(calls)

    def run(index: int, call: Callable) -> None:
        try:
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - the caller asserts on whatever happened
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
