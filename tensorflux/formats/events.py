"""Event files (tfevents): TFRecord files of serialized Event messages (FORMATS.md section 3).

The writer here is the synchronous file layer under tf.summary.FileWriter: it names the file,
writes the `file_version` record TensorBoard looks for, and appends serialized events.
Queueing, summaries and graphs belong to the caller.
"""
import os
import socket
import threading
import time

from tensorflux.formats import protos
from tensorflux.formats.tfrecord import TFRecordWriter, tf_record_iterator

FILE_VERSION = "brain.Event:2"


def event_file_name(logdir, wall_time=None, hostname=None, suffix=""):
    """`<logdir>/events.out.tfevents.<10-digit seconds>.<hostname><suffix>`, as TF names it."""
    seconds = int(time.time() if wall_time is None else wall_time)
    hostname = socket.gethostname() if hostname is None else hostname
    return os.path.join(logdir, "events.out.tfevents.%010d.%s%s" % (seconds, hostname, suffix))


class EventFileWriter:
    """Appends events to a new event file in `logdir` (created if missing).

    The first record is Event{wall_time, file_version: "brain.Event:2"}; TensorBoard relies on
    it to handle restarts correctly. `source_writer`, when given, is recorded in that event's
    source_metadata. Safe to call from several threads.
    """

    def __init__(self, logdir, filename_suffix="", wall_time=None, source_writer=None):
        os.makedirs(logdir, exist_ok=True)
        wall_time = time.time() if wall_time is None else wall_time
        path = event_file_name(logdir, wall_time, suffix=filename_suffix)
        counter = 0
        while os.path.exists(path):   # TF would clobber an older file of the same second
            counter += 1
            path = event_file_name(logdir, wall_time, suffix=f"{filename_suffix}.{counter}")
        self._logdir = logdir
        self._path = path
        self._lock = threading.Lock()
        self._writer = TFRecordWriter(path)
        first = protos.Event(wall_time=wall_time, file_version=FILE_VERSION)
        if source_writer:
            first.source_metadata = protos.SourceMetadata(writer=source_writer)
        self.write_event(first)
        self.flush()

    @property
    def path(self):
        return self._path

    def get_logdir(self):
        return self._logdir

    @property
    def closed(self):
        return self._writer is None

    def write_event(self, event):
        """Appends one event: a protos.Event or its serialized bytes."""
        if isinstance(event, protos.Event):
            event = event.SerializeToString()
        with self._lock:
            if self._writer is None:
                raise ValueError(f"event file {self._path} is closed")
            self._writer.write(event)

    def flush(self):
        with self._lock:
            if self._writer is not None:
                self._writer.flush()

    def close(self):
        with self._lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def summary_iterator(path, allow_truncated_tail=True):
    """Yields the protos.Event records of an event file, in order (tf.train.summary_iterator).

    CRC errors raise DataLossError. A cut-short last record, which a file still being
    written can have, ends the iteration quietly unless allow_truncated_tail is False.
    """
    for record in tf_record_iterator(path, allow_truncated_tail=allow_truncated_tail):
        yield protos.Event.FromString(record)
