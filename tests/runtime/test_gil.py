"""Pipeline threads (queue runners, tf.data) run with short GIL turns, restored after them."""
import sys
import threading

import tensorflux as tf
from tensorflux.runtime.gil import PIPELINE_SWITCH_INTERVAL, pipeline_thread_target


def test_short_turns_last_while_any_pipeline_thread_runs():
    before = sys.getswitchinterval()
    release = [threading.Event(), threading.Event()]
    seen = []

    def work(index):
        seen.append(sys.getswitchinterval())
        release[index].wait(10)
    threads = [threading.Thread(target=pipeline_thread_target(work), args=(i,))
               for i in range(2)]
    for thread in threads:
        thread.start()
    while len(seen) < 2:
        threading.Event().wait(0.01)
    assert sys.getswitchinterval() == PIPELINE_SWITCH_INTERVAL
    release[0].set()
    threads[0].join(10)
    assert sys.getswitchinterval() == PIPELINE_SWITCH_INTERVAL  # the other one still runs
    release[1].set()
    threads[1].join(10)
    assert seen == [PIPELINE_SWITCH_INTERVAL] * 2
    assert sys.getswitchinterval() == before


def test_an_exception_in_the_thread_still_restores_the_interval():
    before = sys.getswitchinterval()

    def fail():
        raise RuntimeError("boom")
    try:
        pipeline_thread_target(fail)()
    except RuntimeError:
        pass
    assert sys.getswitchinterval() == before


def test_queue_runners_hold_short_turns_until_they_stop(no_thread_leak):
    before = sys.getswitchinterval()
    queue = tf.FIFOQueue(4, tf.int32, shapes=[[]])
    runner = tf.train.QueueRunner(queue, [queue.enqueue(tf.constant(1))])
    with tf.Session() as sess:
        coord = tf.train.Coordinator()
        threads = runner.create_threads(sess, coord=coord, start=True)
        assert sess.run(queue.dequeue()) == 1
        assert sys.getswitchinterval() == PIPELINE_SWITCH_INTERVAL
        coord.request_stop()
        coord.join(threads, stop_grace_period_secs=10)
    assert sys.getswitchinterval() == before
