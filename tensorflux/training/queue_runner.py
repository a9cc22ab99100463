"""tf.train.QueueRunner: threads that keep running enqueue ops to keep a queue filled."""
import logging
import threading

from tensorflux.formats import protos
from tensorflux.framework import errors
from tensorflux.framework.graph import GraphKeys, get_default_graph
from tensorflux.framework.meta_graph import (in_name_scope, prepend_name_scope,
                                             register_proto_function, strip_name_scope)
from tensorflux.runtime.gil import pipeline_thread_target

_log = logging.getLogger("tensorflux")


class QueueRunner:
    """Runs each of `enqueue_ops` in its own thread, in a loop, for one queue.

    When an enqueue op raises one of `queue_closed_exception_types` (OutOfRangeError: its
    input ran out) its thread ends, and the last thread to end closes the queue, so the
    consumers drain what is left and then see OutOfRangeError. When the coordinator stops,
    `cancel_op` closes the queue cancelling pending enqueues, which unblocks the threads.

    With `queue_runner_def` (a QueueRunnerDef, as in a MetaGraphDef) the runner is rebuilt
    over the graph elements it names, under `import_scope`; `queue` is then the queue's op.
    """

    def __init__(self, queue=None, enqueue_ops=None, close_op=None, cancel_op=None,
                 queue_closed_exception_types=None, queue_runner_def=None, import_scope=None):
        if queue_runner_def is not None:
            if queue is not None or enqueue_ops is not None:
                raise ValueError("queue_runner_def and queue are mutually exclusive.")
            self._init_from_proto(queue_runner_def, import_scope)
        else:
            self._init_from_args(queue, enqueue_ops, close_op, cancel_op,
                                 queue_closed_exception_types)
        self._lock = threading.Lock()
        # The threads take turns: Python runs one at a time anyway, and threads contending
        # for the interpreter lock cost the training thread more than they produce.
        self._turn = threading.Lock()
        self._runs_per_session = {}
        self._exceptions_raised = []

    def _init_from_args(self, queue, enqueue_ops, close_op, cancel_op,
                        queue_closed_exception_types):
        if queue is None or not enqueue_ops:
            raise ValueError("Queue and enqueue ops are required: "
                             f"queue={queue!r}, enqueue_ops={enqueue_ops!r}")
        self._queue = queue
        self._enqueue_ops = list(enqueue_ops)
        self._close_op = close_op if close_op is not None else queue.close()
        self._cancel_op = (cancel_op if cancel_op is not None
                           else queue.close(cancel_pending_enqueues=True))
        if queue_closed_exception_types is None:
            queue_closed_exception_types = (errors.OutOfRangeError,)
        self._queue_closed_exception_types = tuple(queue_closed_exception_types)

    def _init_from_proto(self, queue_runner_def, import_scope):
        if not isinstance(queue_runner_def, protos.QueueRunnerDef):   # e.g. real TF's message
            queue_runner_def = protos.QueueRunnerDef.FromString(
                queue_runner_def.SerializeToString())
        graph = get_default_graph()

        def element(name):
            return graph.as_graph_element(prepend_name_scope(name, import_scope))
        self._queue = element(queue_runner_def.queue_name)
        self._enqueue_ops = [element(name) for name in queue_runner_def.enqueue_op_name]
        self._close_op = element(queue_runner_def.close_op_name)
        self._cancel_op = element(queue_runner_def.cancel_op_name)
        codes = queue_runner_def.queue_closed_exception_types
        # QueueRunnerDefs written before the field existed mean OutOfRangeError.
        self._queue_closed_exception_types = (
            tuple(errors.exception_type_from_error_code(code) for code in codes)
            if codes else (errors.OutOfRangeError,))

    @property
    def queue(self):
        return self._queue

    @property
    def enqueue_ops(self):
        return self._enqueue_ops

    @property
    def close_op(self):
        return self._close_op

    @property
    def cancel_op(self):
        return self._cancel_op

    @property
    def queue_closed_exception_types(self):
        return self._queue_closed_exception_types

    @property
    def exceptions_raised(self):
        """Exceptions the threads raised when they had no coordinator to report to."""
        return self._exceptions_raised

    @property
    def name(self):
        return self._queue.name

    def to_proto(self, export_scope=None):
        """The QueueRunnerDef of this runner, names relative to `export_scope`; None when the
        queue lies outside that scope."""
        if not in_name_scope(self._queue.name, export_scope):
            return None

        def rel(element):
            return strip_name_scope(element.name, export_scope)
        return protos.QueueRunnerDef(
            queue_name=rel(self._queue), enqueue_op_name=[rel(op) for op in self._enqueue_ops],
            close_op_name=rel(self._close_op), cancel_op_name=rel(self._cancel_op),
            queue_closed_exception_types=[errors.error_code_from_exception_type(cls)
                                          for cls in self._queue_closed_exception_types])

    @staticmethod
    def from_proto(queue_runner_def, import_scope=None):
        """The QueueRunner a QueueRunnerDef describes, over the default graph's elements."""
        return QueueRunner(queue_runner_def=queue_runner_def, import_scope=import_scope)

    def _run(self, sess, enqueue_op, coord=None):
        """One thread's loop: run `enqueue_op` until stopped, the input ends, or an error."""
        counted = True
        try:
            run = sess.make_callable(enqueue_op)
            while not (coord and coord.should_stop()):
                try:
                    with self._turn:
                        run()
                except self._queue_closed_exception_types:
                    # The input is exhausted; the last thread out closes the queue.
                    with self._lock:
                        self._runs_per_session[sess] -= 1
                        counted = False
                        last = self._runs_per_session[sess] == 0
                    if last:
                        try:
                            sess.run(self._close_op)
                        except Exception as e:  # the session may be closing: nothing to do
                            _log.debug("QueueRunner close failed: %s", e)
                    return
        except Exception as e:
            if coord is not None:
                coord.request_stop(e)
            else:
                _log.error("Exception in QueueRunner: %s", e)
                with self._lock:
                    self._exceptions_raised.append(e)
                raise
        finally:
            if counted:
                with self._lock:
                    self._runs_per_session[sess] -= 1

    def _close_on_stop(self, sess, coord):
        """Waits for the coordinator to stop, then cancels the queue to unblock the threads."""
        coord.wait_for_stop()
        try:
            sess.run(self._cancel_op)
        except Exception as e:  # a closed session has already cancelled everything
            _log.debug("QueueRunner cancel failed: %s", e)

    def create_threads(self, sess, coord=None, daemon=False, start=False):
        """Threads running the enqueue ops in `sess` (none if they already run there).

        With `coord`, each thread stops when the coordinator does and reports its errors to
        it, and one more thread cancels the queue on stop.
        """
        with self._lock:
            if self._runs_per_session.get(sess, 0) > 0:
                return []
            self._runs_per_session[sess] = len(self._enqueue_ops)
            self._exceptions_raised = []
        threads = [threading.Thread(target=pipeline_thread_target(self._run),
                                    args=(sess, op, coord), daemon=daemon,
                                    name=f"QueueRunnerThread-{self.name}-{op.name}")
                   for op in self._enqueue_ops]
        if coord is not None:
            threads.append(threading.Thread(target=self._close_on_stop, args=(sess, coord),
                                            daemon=daemon,
                                            name=f"QueueRunnerThread-{self.name}-close_on_stop"))
        for thread in threads:
            if coord is not None:
                coord.register_thread(thread)
            if start:
                thread.start()
        return threads


def add_queue_runner(qr, collection=GraphKeys.QUEUE_RUNNERS):
    """Adds `qr` to the graph's queue runners, which start_queue_runners() starts."""
    get_default_graph().add_to_collection(collection, qr)


def start_queue_runners(sess=None, coord=None, daemon=True, start=True,
                        collection=GraphKeys.QUEUE_RUNNERS):
    """Starts the threads of every queue runner of the graph; returns them.

    sess: the session to run in (the default session when None). The threads are daemonic,
    so a program that never stops them can still exit, and closing the session ends them.
    """
    if sess is None:
        from tensorflux.runtime.session import get_default_session
        sess = get_default_session()
        if sess is None:
            raise ValueError("Cannot start queue runners: No default session is registered. "
                             "Use `with sess.as_default()` or pass an explicit session to "
                             "tf.start_queue_runners(sess=sess)")
    with sess.graph.as_default():
        threads = []
        for qr in sess.graph.get_collection(collection):
            threads.extend(qr.create_threads(sess, coord=coord, daemon=daemon, start=start))
    return threads


# A MetaGraphDef carries the graph's queue runners, so an imported graph can start them.
register_proto_function(GraphKeys.QUEUE_RUNNERS, proto_type=protos.QueueRunnerDef,
                        to_proto=QueueRunner.to_proto, from_proto=QueueRunner.from_proto)

__all__ = ["QueueRunner", "add_queue_runner", "start_queue_runners"]
