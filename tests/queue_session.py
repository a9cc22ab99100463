"""A session with the graph's queue runners started, for the input-pipeline tests."""
import contextlib

import tensorflux as tf

# Sessions of these tests end any blocked op with DeadlineExceededError instead of hanging.
BOUNDED = tf.ConfigProto(operation_timeout_in_ms=20000)


@contextlib.contextmanager
def running(init_globals=False, init_locals=True, grace_secs=5):
    """Initializes what is asked, starts the queue runners; stops and joins them on exit."""
    with tf.Session(config=BOUNDED) as sess:
        if init_globals:
            sess.run(tf.global_variables_initializer())
        if init_locals:
            sess.run(tf.local_variables_initializer())
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord)
        try:
            yield sess
        finally:
            coord.request_stop()
            coord.join(threads, stop_grace_period_secs=grace_secs)
