"""The course's "TensorFlow basics" programs: tensors, sessions, feeds, variables.

Run: python examples/basics.py   (or `tensorflux run` on the same file written for TF1)
"""
import tensorflux as tf

# Tensors print their name, shape and dtype, not their value.
t0 = tf.constant(3, dtype=tf.int32)
t1 = tf.constant([3., 4.1, 5.2], dtype=tf.float32)
t2 = tf.constant([["Apple", "Orange"], ["Potato", "Tomato"]], dtype=tf.string)
t3 = tf.constant([[[5], [6], [7]], [[4], [3], [2]]])
for t in (t0, t1, t2, t3):
    print(t)

sess = tf.Session()
for t in (t0, t1, t2, t3):
    print(sess.run(t))
sess.close()

# The graph is built first, then run in a session.
a = tf.constant([[3., 3.]])
b = tf.constant([[2.], [2.]])
y = tf.matmul(a, b)
with tf.Session() as sess:
    result = sess.run(y)
    print(result)

# Placeholders are fed when the graph runs.
a = tf.placeholder(tf.int32)
b = tf.placeholder(tf.int32)
c = tf.multiply(a, b)
with tf.Session() as sess:
    print(sess.run(c, feed_dict={a: 100, b: 200}))

x1 = tf.placeholder(tf.float32, [2, 3])
x2 = tf.placeholder(tf.float32, [3, 2])
x3 = tf.matmul(x1, x2)
with tf.Session() as sess:
    print(sess.run(x3, feed_dict={x1: [[1, 2, 3], [4, 5, 6]], x2: [[1, 2], [3, 4], [5, 6]]}))

# tensor.eval() uses the default session.
a = tf.constant([[1.0, 2.0]])
b = tf.constant([[3.0], [4.0]])
c = tf.matmul(a, b)
with tf.Session():
    print(a.eval())
    print(c.eval())

# Variables hold state across runs; assign updates them.
state = tf.Variable(0, name="counter")
one = tf.constant(1)
new_value = tf.add(state, one)
update = tf.assign(state, new_value)
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    print(sess.run(state))
    for _ in range(3):
        sess.run(update)
        print(sess.run(state))

# One variable initialised from another.
weights = tf.Variable(tf.random_normal([2, 3], stddev=0.35, seed=1), name="weights")
w2 = tf.Variable(weights.initialized_value() * 2.0, name="w2")
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    w, doubled = sess.run([weights, w2])
    print((doubled == 2 * w).all())
