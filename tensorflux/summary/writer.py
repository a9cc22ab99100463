"""tf.summary.FileWriter: events queued in memory, written to an event file by a thread.

The calling thread only builds an Event and puts it on a queue of `max_queue` events (a full
queue blocks the caller); a background thread appends events to the file and flushes it at
least every `flush_secs` seconds. `flush()` waits until every queued event is on disk.
The file layer (naming, the file_version record, TFRecord framing) is formats/events.py.
"""
import atexit
import os
import queue
import threading
import time
import weakref

from tensorflux.formats import events, protos
from tensorflux.framework.graph import Graph

_STOP = object()
# Writers still open at exit are closed then, so a program that forgets close() keeps its
# last events (the writer thread is a daemon and would otherwise die with them queued).
_open_writers = weakref.WeakSet()


@atexit.register
def _close_open_writers():
    for writer in list(_open_writers):
        writer.close()


class _WriterThread(threading.Thread):
    """Writes queued events to `writer`, flushing every `flush_secs`; ends at _STOP."""

    def __init__(self, event_queue, writer, flush_secs):
        super().__init__(name="tensorflux-FileWriter", daemon=True)
        self._queue = event_queue
        self._writer = writer
        self._flush_secs = flush_secs
        self.error = None

    def run(self):
        next_flush = time.monotonic() + self._flush_secs
        while True:
            try:
                event = self._queue.get(timeout=max(next_flush - time.monotonic(), 0.01))
            except queue.Empty:
                event = None
            try:
                if event is _STOP:
                    return
                if event is not None and self.error is None:
                    self._writer.write_event(event)
                if time.monotonic() >= next_flush:
                    self._writer.flush()
                    next_flush = time.monotonic() + self._flush_secs
            except Exception as exc:    # kept and re-raised by flush()/close() in the caller
                self.error = exc
            finally:
                if event is not None:
                    self._queue.task_done()


class FileWriter:
    """Writes Summary protocol buffers and other events to an event file in `logdir`.

    FileWriter(logdir, graph=None, max_queue=10, flush_secs=120, graph_def=None,
    filename_suffix=None): `logdir` is created if needed. With `graph` (or `graph_def`) the
    graph is written first, as a GraphDef event (shown by TensorBoard's Graphs dashboard)
    and as a MetaGraphDef event. Events go through a background thread; call `flush()` to
    be sure they are on disk and `close()` at the end (or use the writer as a context manager).
    """

    def __init__(self, logdir, graph=None, max_queue=10, flush_secs=120, graph_def=None,
                 filename_suffix=None, session=None):
        if session is not None:
            raise ValueError("tensorflux's FileWriter writes events itself; session-based "
                             "summary writers (TF2's `session` argument) are not supported")
        self._logdir = os.fspath(logdir)
        self._max_queue = max_queue
        self._flush_secs = flush_secs
        self._filename_suffix = filename_suffix or ""
        self._lock = threading.Lock()
        self._seen_summary_tags = set()
        self._seen_run_metadata_tags = set()
        self._closed = True
        self._open()
        if graph is not None or graph_def is not None:
            self.add_graph(graph, graph_def=graph_def)
            from tensorflux.framework.meta_graph import create_meta_graph_def
            graph_def = graph.as_graph_def(add_shapes=True) if isinstance(graph, Graph) \
                else (graph_def if graph_def is not None else graph)
            self.add_meta_graph(create_meta_graph_def(graph_def=graph_def))

    def _open(self):
        self._file = events.EventFileWriter(self._logdir, self._filename_suffix)
        self._queue = queue.Queue(self._max_queue)
        self._thread = _WriterThread(self._queue, self._file, self._flush_secs)
        self._thread.start()
        self._closed = False
        _open_writers.add(self)

    def get_logdir(self):
        return self._logdir

    @property
    def event_file_path(self):
        """The path of the event file being written."""
        return self._file.path

    # ---- adding events ----
    def add_event(self, event):
        """Queues an Event (protos.Event); ignored once the writer is closed, as in TF."""
        if self._closed:
            return
        self._queue.put(event)

    def _add(self, global_step, **fields):
        event = protos.Event(wall_time=time.time(), **fields)
        if global_step is not None:
            event.step = int(global_step)
        self.add_event(event)

    def add_summary(self, summary, global_step=None):
        """Adds a Summary: a protos.Summary or the bytes `sess.run(summary_op)` returns.

        As TF1, a tag's SummaryMetadata is written only with its first value.
        """
        if isinstance(summary, (bytes, bytearray)):
            summary = protos.Summary.FromString(summary)
        elif not isinstance(summary, protos.Summary):
            summary = protos.Summary.FromString(_serialized(summary, "summary"))
        else:
            summary = protos.Summary.FromString(summary.SerializeToString())
        with self._lock:
            for value in summary.value:
                if not value.HasField("metadata"):
                    continue
                if value.tag in self._seen_summary_tags:
                    value.ClearField("metadata")
                else:
                    self._seen_summary_tags.add(value.tag)
        self._add(global_step, summary=summary)

    def add_session_log(self, session_log, global_step=None):
        """Adds a SessionLog (START, STOP, CHECKPOINT), e.g. START after a restart so that
        TensorBoard discards the events of the steps being redone."""
        if not isinstance(session_log, protos.SessionLog):
            session_log = protos.SessionLog.FromString(_serialized(session_log, "session_log"))
        self._add(global_step, session_log=session_log)

    def add_graph(self, graph, global_step=None, graph_def=None):
        """Adds a Graph (with its static shapes) or a GraphDef for TensorBoard's graph view."""
        if graph is not None and graph_def is not None:
            raise ValueError("Please pass only graph, or graph_def (deprecated), but not both.")
        if isinstance(graph, Graph):
            graph_def = graph.as_graph_def(add_shapes=True)
        elif graph is not None:
            graph_def = graph
        if graph_def is None:
            raise TypeError("add_graph needs a Graph or a GraphDef")
        from tensorflux.framework.graph_io import as_graph_def_proto
        self._add(global_step, graph_def=as_graph_def_proto(graph_def).SerializeToString())

    def add_meta_graph(self, meta_graph_def, global_step=None):
        """Adds a MetaGraphDef."""
        self._add(global_step, meta_graph_def=_serialized(meta_graph_def, "meta_graph_def"))

    def add_run_metadata(self, run_metadata, tag, global_step=None):
        """Adds the RunMetadata of one `Session.run` (its step_stats come from
        RunOptions(trace_level=FULL_TRACE)); TensorBoard's graph view lists it under `tag`
        and colours nodes by compute time and memory. Each tag may be used once."""
        with self._lock:
            if tag in self._seen_run_metadata_tags:
                raise ValueError(f"The run_metadata tag {tag!r} was already used by this "
                                 "FileWriter; use a new tag for each step")
            self._seen_run_metadata_tags.add(tag)
        tagged = protos.TaggedRunMetadata(tag=tag, run_metadata=_serialized(run_metadata,
                                                                            "run_metadata"))
        self._add(global_step, tagged_run_metadata=tagged)

    # ---- flushing and closing ----
    def _check_thread(self):
        error, self._thread.error = self._thread.error, None
        if error is not None:
            raise error

    def flush(self):
        """Returns once every event added so far is written to the file."""
        if self._closed:
            return
        self._queue.join()
        self._file.flush()
        self._check_thread()

    def close(self):
        """Writes the queued events, closes the file and stops the thread."""
        if self._closed:
            return
        self._closed = True
        _open_writers.discard(self)
        self._queue.put(_STOP)
        self._thread.join()
        try:
            self._file.flush()
            self._check_thread()
        finally:
            self._file.close()

    def reopen(self):
        """After close(): starts a new event file in the same logdir."""
        if self._closed:
            self._open()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def _serialized(message, what):
    if isinstance(message, (bytes, bytearray)):
        return bytes(message)
    serialize = getattr(message, "SerializeToString", None)
    if serialize is None:
        raise TypeError(f"{what} must be a protocol buffer message, got "
                        f"{type(message).__name__}")
    return serialize()


class FileWriterCache:
    """One FileWriter per logdir, shared by the code that asks for it."""

    _cache = {}
    _lock = threading.Lock()

    @staticmethod
    def get(logdir):
        with FileWriterCache._lock:
            writer = FileWriterCache._cache.get(logdir)
            if writer is None:
                writer = FileWriterCache._cache[logdir] = FileWriter(logdir)
            return writer

    @staticmethod
    def clear():
        with FileWriterCache._lock:
            for writer in FileWriterCache._cache.values():
                writer.close()
            FileWriterCache._cache.clear()
