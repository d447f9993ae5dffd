"""Reading query results without blocking: :class:`QueryIterator`, :func:`poll` and friends.

A :class:`QueryIterator` owns the connection of one streamed query (the
schedd's ``QUERY_JOB_ADS``).  Ads are read from the socket only when asked
for, either waiting for them (``next()``) or taking just what has arrived
(:meth:`QueryIterator.nextAdsNonBlocking`).  :func:`poll` waits on many
iterators at once with ``select()`` and hands back each iterator that has
something to read, so a program can query many schedds in parallel and
process every answer as soon as it comes.

:class:`HistoryIterator` is the iterator :meth:`htcondor.Schedd.history`
returns; it reads ads as they stream in.

>>> import htcondor
>>> htcondor.BlockingMode.NonBlocking, int(htcondor.BlockingMode.Blocking)
(htcondor.htcondor.BlockingMode.NonBlocking, 1)
>>> list(htcondor.poll([]))
[]
"""

from __future__ import annotations

import collections
import select
from collections.abc import Iterable, Iterator

import classad

from ._adcodec import decode_ad
from ._client import DaemonConnection, raise_reply_error
from ._enums import HTCondorEnum, add_tables
from ._errors import HTCondorInternalError, HTCondorIOError, HTCondorTypeError, HTCondorValueError
from ._wire import MAX_MESSAGE, WireError, decode_payload

__all__ = ["BlockingMode", "QueryIterator", "BulkQueryIterator", "HistoryIterator", "poll", "xquery_iterator",
           "start_query"]

_NO_INIT = "This class cannot be instantiated from Python"
_READS_PER_PUMP = 1
_READ_SIZE = 1 << 18


@add_tables
class BlockingMode(HTCondorEnum):
    """Whether reading the next ad of a :class:`QueryIterator` waits for it (``Blocking``) or not.

    >>> import htcondor
    >>> sorted(htcondor.BlockingMode.names), str(htcondor.BlockingMode.NonBlocking)
    (['Blocking', 'NonBlocking'], 'NonBlocking')
    """

    # declared in the official module's order (its ``names`` table keeps it)
    Blocking = 1
    NonBlocking = 0


class QueryIterator:
    """The ads of a query, read from the daemon's connection as they arrive.

    :meth:`htcondor.Schedd.xquery` returns one; it cannot be built directly.
    Iterating waits for each ad; ``it.__next__(BlockingMode.NonBlocking)``
    returns ``None`` instead of waiting, and :meth:`nextAdsNonBlocking`
    returns every ad that has already arrived.  Give many of them to
    :func:`poll` to work on whichever has results first.

    :raises RuntimeError: when called directly, as in the official module.
    """

    __slots__ = ("_conn", "_tag", "_buf", "_ads", "_finished", "_error", "_done", "_fd", "_count", "__weakref__")

    def __init__(self, *args, **kwargs) -> None:
        raise RuntimeError(_NO_INIT)

    @classmethod
    def _start(cls, conn: DaemonConnection, tag: str) -> QueryIterator:
        """An iterator over the stream of *conn*, whose request has been sent."""
        self = object.__new__(cls)
        self._conn = conn
        self._tag = tag
        self._buf = bytearray()
        self._ads: collections.deque = collections.deque()
        self._finished = False  # the final message arrived (or the connection failed)
        self._error: BaseException | None = None
        self._done = False  # the consumer has been told the stream ended
        self._fd = conn._sock.fileno()
        self._count = 0
        conn._sock.setblocking(False)
        return self

    # -- reading ---------------------------------------------------------------------------------
    def _pump(self) -> None:
        """Take what the socket has now, without waiting, and decode the complete messages."""
        if self._finished:
            return
        sock = self._conn._sock
        try:
            # A few reads at most: a schedd streams faster than a consumer reads, and reading
            # until the socket is empty would hold the whole answer in memory.
            for _ in range(_READS_PER_PUMP):
                data = sock.recv(_READ_SIZE)
                if not data:
                    self._fail(HTCondorIOError("Failed to receive remote ad."))
                    return
                self._buf += data
                if len(data) < _READ_SIZE:
                    break
        except (BlockingIOError, InterruptedError):
            pass
        except OSError as e:
            self._fail(HTCondorIOError(f"Failed to receive remote ad: {e.strerror or e}"))
            return
        self._decode()

    def _decode(self) -> None:
        buf = self._buf
        pos = 0
        n = len(buf)
        while n - pos >= 4:
            size = int.from_bytes(buf[pos:pos + 4], "big")
            if size > MAX_MESSAGE:
                self._fail(WireError(f"message of {size} bytes is larger than the limit of {MAX_MESSAGE}"))
                return
            if n - pos - 4 < size:
                break
            try:
                message = decode_payload(bytes(buf[pos + 4:pos + 4 + size]))
            except HTCondorIOError as e:
                self._fail(e)
                return
            pos += 4 + size
            ads = message.get("ads")
            if ads is not None:
                self._ads.extend(decode_ad(data) for data in ads)
                continue
            if not message.get("ok"):
                try:
                    raise_reply_error(message)
                except HTCondorValueError as e:
                    self._error = HTCondorIOError(f"Failed to fetch ads from schedd, errmsg={e}")
                except Exception as e:  # the exception the daemon named
                    self._error = e
            self._finish()
            break
        del buf[:pos]

    def _fail(self, error: BaseException) -> None:
        self._error = error
        self._finish()

    def _finish(self) -> None:
        self._finished = True
        self._buf = bytearray()
        self._conn.close()

    def _wait(self) -> None:
        """Block until the socket has data (or the stream is finished)."""
        while not self._ads and not self._finished:
            timeout = self._conn.timeout
            try:
                ready, _, _ = select.select([self._fd], [], [], timeout)  # not finished: still open
            except (OSError, ValueError) as e:
                self._fail(HTCondorIOError(f"Failed to receive remote ad: {e}"))
                return
            if not ready:
                self._fail(HTCondorIOError("Failed to receive remote ad: timed out"))
                return
            self._pump()

    def _end(self):
        """The stream is over: raise its error once, if any, else report the end."""
        self._done = True
        error, self._error = self._error, None
        if error is not None:
            raise error

    # -- the public interface ------------------------------------------------------------------
    def __iter__(self) -> QueryIterator:
        return self

    def __next__(self, mode: BlockingMode = BlockingMode.Blocking) -> classad.ClassAd | None:
        """The next ad; with ``BlockingMode.NonBlocking``, ``None`` when none has arrived yet.

        :raises StopIteration: (blocking mode) when the query has no more ads.
        :raises HTCondorIOError: when the connection fails or the schedd refuses the query.
        """
        if self._done:
            raise StopIteration("All ads processed")
        if not self._ads:
            if mode == BlockingMode.NonBlocking:
                self._pump()
            else:
                self._wait()
        if self._ads:
            self._count += 1
            return self._ads.popleft()
        if self._finished:
            self._end()
            if mode != BlockingMode.NonBlocking:
                raise StopIteration("All ads processed")
        return None

    def nextAdsNonBlocking(self) -> list:
        """Every ad that has arrived and not been read yet (possibly none); never waits.

        :returns: a list of :class:`classad.ClassAd`.
        :raises HTCondorIOError: when the connection failed or the schedd refused the query.
        """
        if self._done:
            return []
        self._pump()
        ads = list(self._ads)
        self._ads.clear()
        self._count += len(ads)
        if self._finished:
            self._end()
        return ads

    def tag(self) -> str:
        """The query's tag (the ``name`` given to ``xquery``, by default the schedd's name).

        :func:`poll` hands iterators back in no particular order; the tag tells them apart.
        """
        return self._tag

    def done(self) -> bool:
        """True once the iterator has reported the end of its results."""
        return self._done

    def watch(self) -> int:
        """The file descriptor of the query's connection: ``select()`` on it to learn when ads arrive.

        -1 once the answer has been read to its end (the connection is closed).
        """
        return -1 if self._finished else self._fd

    def _ready(self) -> bool:
        """Whether reading now would give something without waiting on the socket."""
        return bool(self._ads) or self._finished

    def __repr__(self) -> str:
        return f"<htcondor.QueryIterator tag={self._tag!r} done={self._done}>"


class BulkQueryIterator:
    """What :func:`poll` returns: iterating it gives each :class:`QueryIterator` that has ads ready.

    It stops when every query has reported its end.  It cannot be built directly.

    :raises RuntimeError: when called directly, as in the official module.
    """

    __slots__ = ("_queries", "_timeout")

    def __init__(self, *args, **kwargs) -> None:
        raise RuntimeError(_NO_INIT)

    @classmethod
    def _start(cls, queries: Iterable, timeout_ms: int) -> BulkQueryIterator:
        self = object.__new__(cls)
        items = []
        for query in queries:
            if not isinstance(query, QueryIterator):
                raise TypeError("No registered converter was able to produce a C++ rvalue of type "
                                "boost::shared_ptr<QueryIterator> from this Python object of type "
                                f"{type(query).__name__}")
            items.append(query)
        self._queries = items
        self._timeout = None if timeout_ms < 0 else timeout_ms / 1000.0
        return self

    def __iter__(self) -> BulkQueryIterator:
        return self

    def __next__(self) -> QueryIterator:
        """The next query with results to read (possibly just its end).

        :raises StopIteration: when every query is done.
        :raises HTCondorIOError: when none is ready within the timeout.
        """
        self._queries = [q for q in self._queries if not q.done()]
        if not self._queries:
            raise StopIteration("All ads are processed")
        for query in self._queries:
            if query._ready():
                return query
        fds = [q._fd for q in self._queries]
        try:
            ready, _, _ = select.select(fds, [], [], self._timeout)
        except (OSError, ValueError) as e:
            raise HTCondorInternalError(f"select() failed: {e}") from None
        if not ready:
            raise HTCondorIOError("Timeout when waiting for remote host")
        for query in self._queries:
            if query._fd in ready:
                return query
        raise HTCondorInternalError("Logic error in poll implementation.")


def poll(queries, timeout_ms: int = 20000) -> BulkQueryIterator:
    """Wait on many queries at once; iterate the result to get each query as it has ads ready.

    :param queries: :class:`QueryIterator` objects, from :meth:`htcondor.Schedd.xquery`.
    :param timeout_ms: how long each step waits for some query to have
        results, in milliseconds (negative: forever).
    :returns: a :class:`BulkQueryIterator`; it stops when every query is done,
        and raises :class:`HTCondorIOError` when a step times out.
    :raises HTCondorTypeError: if *queries* cannot be iterated.

    Read the ready query with :meth:`QueryIterator.nextAdsNonBlocking`; a
    query that is not read stays ready and is handed back again.

    >>> import htcondor
    >>> list(htcondor.poll([], timeout_ms=10))
    []
    >>> try:
    ...     htcondor.poll(None)
    ... except htcondor.HTCondorTypeError as e:
    ...     print(e)
    Unable to iterate over query object.
    """
    if queries is None or isinstance(queries, (int, float)) or not hasattr(queries, "__iter__"):
        raise HTCondorTypeError("Unable to iterate over query object.")
    if isinstance(timeout_ms, bool) or not isinstance(timeout_ms, int):
        raise TypeError(f"poll() timeout_ms must be an integer, not {type(timeout_ms).__name__}")
    return BulkQueryIterator._start(queries, timeout_ms)


class HistoryIterator:
    """The ads :meth:`htcondor.Schedd.history` returns, read as the schedd streams them.

    It cannot be built directly.

    :raises RuntimeError: when called directly, as in the official module.
    """

    __slots__ = ("_source", "__weakref__")

    def __init__(self, *args, **kwargs) -> None:
        raise RuntimeError(_NO_INIT)

    @classmethod
    def _wrap(cls, source: Iterator[classad.ClassAd]) -> HistoryIterator:
        self = object.__new__(cls)
        self._source = source
        return self

    def __iter__(self) -> HistoryIterator:
        return self

    def __next__(self) -> classad.ClassAd:
        return next(self._source)


def xquery_iterator(schedd, constraint_text: str, projection, limit: int, opts: int, name=None) -> QueryIterator:
    """Start the job query of ``Schedd.xquery`` and return its :class:`QueryIterator`.

    As the official module does, ``xquery`` sends any non-zero *opts* as a
    request for the default autoclusters; the tag is *name*, or the schedd's
    name.

    :raises HTCondorValueError: for a projection that is not a list of names.
    :raises HTCondorIOError: when the schedd cannot be reached.
    """
    projection = list(projection or [])
    if not all(isinstance(p, str) for p in projection):
        raise HTCondorValueError("projection must be a list of attribute names")
    args = {"constraint": constraint_text or "true", "projection": projection, "limit": int(limit),
            "opts": 1 if int(opts) else 0, "server_time": False}
    tag = schedd._name if name is None else str(name)
    conn = schedd._connect()
    try:
        conn.send("QUERY_JOB_ADS", args)
    except BaseException:
        conn.close()
        raise
    return QueryIterator._start(conn, tag)


def start_query(address: str, args: dict, tag: str, timeout: float = 30.0) -> QueryIterator:
    """Send a ``QUERY_JOB_ADS`` request to the daemon at *address*; a :class:`QueryIterator` over its answer."""
    conn = DaemonConnection(address, timeout)
    try:
        conn.send("QUERY_JOB_ADS", args)
    except BaseException:
        conn.close()
        raise
    return QueryIterator._start(conn, tag)


for _cls in (QueryIterator, BulkQueryIterator, HistoryIterator):
    _cls.__module__ = "htcondor"
poll.__module__ = "htcondor"
del _cls
