"""The optimizers and their Apply ops against NumPy formulas, slots included."""
import numpy as np
import pytest

import tensorflux as tf
from tensorflux.framework import registry
from tensorflux.ops import training_ops

needs_gradients = pytest.mark.skipif(
    not all(registry.has_gradient_entry(t) for t in ("Identity", "Square", "Sum", "MatMul")),
    reason="gradients of math/array ops not registered yet")

STEPS = 4


def f32(x):
    """A hyper-parameter as the optimizer sees it: a float32 tensor cast to the var's dtype."""
    return float(np.float32(x))


# ---- NumPy references: state dict (var + slots) updated by one gradient ----
def ref_gd(s, g, t, dt, lr=0.1):
    s["var"] = s["var"] - f32(lr) * g


def ref_momentum(s, g, t, dt, lr=0.1, mu=0.9, nesterov=False):
    s["momentum"] = f32(mu) * s["momentum"] + g
    step = g + f32(mu) * s["momentum"] if nesterov else s["momentum"]
    s["var"] = s["var"] - f32(lr) * step


def ref_adam(s, g, t, dt, lr=0.05, b1=0.9, b2=0.999, eps=1e-8):
    # beta1_power/beta2_power are float32 variables multiplied in float32 each step.
    b1p, b2p = np.float32(b1), np.float32(b2)
    for _ in range(t):
        b1p, b2p = b1p * np.float32(b1), b2p * np.float32(b2)
    lr_t = f32(lr) * np.sqrt(1 - float(b2p)) / (1 - float(b1p))
    s["m"] = f32(b1) * s["m"] + (1 - f32(b1)) * g
    s["v"] = f32(b2) * s["v"] + (1 - f32(b2)) * g * g
    s["var"] = s["var"] - lr_t * s["m"] / (np.sqrt(s["v"]) + f32(eps))


def ref_adagrad(s, g, t, dt, lr=0.1):
    s["accumulator"] = s["accumulator"] + g * g
    s["var"] = s["var"] - f32(lr) * g / np.sqrt(s["accumulator"])


def ref_adagrad_da(s, g, t, dt, lr=0.1, l1=0.01, l2=0.02):
    s["gradient_accumulator"] = s["gradient_accumulator"] + g
    s["gradient_squared_accumulator"] = s["gradient_squared_accumulator"] + g * g
    ga, step = s["gradient_accumulator"], t + 1
    denominator = f32(l2) * step * f32(lr) + np.sqrt(s["gradient_squared_accumulator"])
    s["var"] = -f32(lr) * np.sign(ga) * np.maximum(np.abs(ga) - step * f32(l1), 0) / denominator


def ref_adadelta(s, g, t, dt, lr=1.0, rho=0.95, eps=1e-8):
    rho, eps = f32(rho), f32(eps)
    s["accum"] = rho * s["accum"] + (1 - rho) * g * g
    update = np.sqrt(s["accum_update"] + eps) / np.sqrt(s["accum"] + eps) * g
    s["var"] = s["var"] - f32(lr) * update
    s["accum_update"] = rho * s["accum_update"] + (1 - rho) * update * update


def ref_rmsprop(s, g, t, dt, lr=0.01, rho=0.9, mu=0.5, eps=1e-10, centered=False):
    rho = f32(rho)
    s["rms"] = rho * s["rms"] + (1 - rho) * g * g
    denominator = s["rms"] + f32(eps)
    if centered:
        s["mg"] = rho * s["mg"] + (1 - rho) * g
        denominator = denominator - s["mg"] ** 2
    s["momentum"] = f32(mu) * s["momentum"] + f32(lr) * g / np.sqrt(denominator)
    s["var"] = s["var"] - s["momentum"]


def ref_ftrl(s, g, t, dt, lr=0.1, power=-0.5, l1=0.01, l2=0.02, shrinkage=0.0):
    lr, power, l1, l2 = f32(lr), f32(power), f32(l1), f32(l2)
    new_accum = s["accum"] + g * g
    sigma = (new_accum ** -power - s["accum"] ** -power) / lr
    s["linear"] = s["linear"] + g + 2 * f32(shrinkage) * s["var"] - sigma * s["var"]
    quadratic = new_accum ** -power / lr + 2 * l2
    lin = s["linear"]
    s["var"] = np.where(np.abs(lin) > l1, (l1 * np.sign(lin) - lin) / quadratic, 0.0)
    s["accum"] = new_accum


def _proximal_values(dt, *values):
    """Python floats (float32 tensors) for float32 variables, float64 tensors for float64."""
    return [f32(v) if dt == np.float32 else v for v in values]


def _prox(v, step, l1, l2):
    return np.sign(v) * np.maximum(np.abs(v) - step * l1, 0) / (1 + step * l2)


def ref_proximal_gd(s, g, t, dt, lr=0.1, l1=0.01, l2=0.02):
    lr, l1, l2 = _proximal_values(dt, lr, l1, l2)
    s["var"] = _prox(s["var"] - lr * g, lr, l1, l2)


def ref_proximal_adagrad(s, g, t, dt, lr=0.1, l1=0.01, l2=0.02):
    lr, l1, l2 = _proximal_values(dt, lr, l1, l2)
    s["accumulator"] = s["accumulator"] + g * g
    step = lr / np.sqrt(s["accumulator"])
    s["var"] = _prox(s["var"] - step * g, step, l1, l2)


def proximal_hyper(dtype, *values):
    """TF1's Proximal optimizers do not cast: float64 variables need float64 tensors."""
    if dtype == np.float32:
        return values
    return [tf.constant(v, tf.float64) for v in values]


# name -> (make optimizer(global_step, dtype), slots with initial values, reference)
CASES = {
    "GradientDescent": (lambda gs, dt: tf.train.GradientDescentOptimizer(0.1), {}, ref_gd),
    "Momentum": (lambda gs, dt: tf.train.MomentumOptimizer(0.1, 0.9),
                 {"momentum": 0.0}, ref_momentum),
    "MomentumNesterov": (lambda gs, dt: tf.train.MomentumOptimizer(0.1, 0.9, use_nesterov=True),
                         {"momentum": 0.0},
                         lambda s, g, t, dt: ref_momentum(s, g, t, dt, nesterov=True)),
    "Adam": (lambda gs, dt: tf.train.AdamOptimizer(0.05), {"m": 0.0, "v": 0.0}, ref_adam),
    "Adagrad": (lambda gs, dt: tf.train.AdagradOptimizer(0.1), {"accumulator": 0.1},
                ref_adagrad),
    "AdagradDA": (lambda gs, dt: tf.train.AdagradDAOptimizer(
        0.1, gs, l1_regularization_strength=0.01, l2_regularization_strength=0.02),
        {"gradient_accumulator": 0.0, "gradient_squared_accumulator": 0.1}, ref_adagrad_da),
    "Adadelta": (lambda gs, dt: tf.train.AdadeltaOptimizer(1.0),
                 {"accum": 0.0, "accum_update": 0.0}, ref_adadelta),
    "RMSProp": (lambda gs, dt: tf.train.RMSPropOptimizer(0.01, momentum=0.5),
                {"rms": 1.0, "momentum": 0.0}, ref_rmsprop),
    "RMSPropCentered": (lambda gs, dt: tf.train.RMSPropOptimizer(0.01, momentum=0.5,
                                                                 centered=True),
                        {"rms": 1.0, "momentum": 0.0, "mg": 0.0},
                        lambda s, g, t, dt: ref_rmsprop(s, g, t, dt, centered=True)),
    "Ftrl": (lambda gs, dt: tf.train.FtrlOptimizer(0.1, l1_regularization_strength=0.01,
                                                   l2_regularization_strength=0.02),
             {"accum": 0.1, "linear": 0.0}, ref_ftrl),
    "FtrlPower": (lambda gs, dt: tf.train.FtrlOptimizer(
        0.1, learning_rate_power=-0.3, l1_regularization_strength=0.01,
        l2_regularization_strength=0.02), {"accum": 0.1, "linear": 0.0},
        lambda s, g, t, dt: ref_ftrl(s, g, t, dt, power=-0.3)),
    "FtrlShrinkage": (lambda gs, dt: tf.train.FtrlOptimizer(
        0.1, l1_regularization_strength=0.01, l2_regularization_strength=0.02,
        l2_shrinkage_regularization_strength=0.03), {"accum": 0.1, "linear": 0.0},
        lambda s, g, t, dt: ref_ftrl(s, g, t, dt, shrinkage=0.03)),
    "ProximalGradientDescent": (lambda gs, dt: tf.train.ProximalGradientDescentOptimizer(
        *proximal_hyper(dt, 0.1, 0.01, 0.02)), {}, ref_proximal_gd),
    "ProximalAdagrad": (lambda gs, dt: tf.train.ProximalAdagradOptimizer(
        proximal_hyper(dt, 0.1)[0], 0.1, *proximal_hyper(dt, 0.01, 0.02)), {"accumulator": 0.1},
        ref_proximal_adagrad),
}


def _initial(shape, seed):
    return np.random.RandomState(seed).uniform(-1, 1, shape)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", sorted(CASES))
def test_apply_gradients_matches_numpy(case, dtype):
    make, slot_inits, reference = CASES[case]
    shapes = {"w": (3, 2), "b": (2,)}
    gs = tf.train.get_or_create_global_step()
    variables = {n: tf.Variable(_initial(shape, i).astype(dtype), name=n)
                 for i, (n, shape) in enumerate(shapes.items())}
    grads = {n: tf.placeholder(dtype, shape) for n, shape in shapes.items()}
    opt = make(gs, dtype)
    train = opt.apply_gradients([(grads[n], variables[n]) for n in shapes], global_step=gs)
    assert train.name == opt.get_name()
    assert opt.get_slot_names() == sorted(slot_inits)
    states = {n: {"var": _initial(shape, i)} for i, (n, shape) in enumerate(shapes.items())}
    for n, shape in shapes.items():
        for slot, value in slot_inits.items():
            states[n][slot] = np.full(shape, value, dtype).astype(np.float64)
    rng = np.random.RandomState(7)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for t in range(STEPS):
            feed = {}
            for n, shape in shapes.items():
                g = rng.uniform(-1, 1, shape).astype(dtype)
                feed[grads[n]] = g
                reference(states[n], g.astype(np.float64), t, dtype)
            sess.run(train, feed)
        assert tf.train.global_step(sess, gs) == STEPS
        rtol, atol = (2e-5, 1e-6) if dtype == np.float32 else (1e-11, 1e-13)
        for n in shapes:
            got = sess.run(variables[n])
            assert got.dtype == dtype
            np.testing.assert_allclose(got, states[n]["var"], rtol=rtol, atol=atol)
            for slot in slot_inits:
                slot_var = opt.get_slot(variables[n], slot)
                assert slot_var.dtype.base_dtype == variables[n].dtype.base_dtype
                np.testing.assert_allclose(sess.run(slot_var), states[n][slot], rtol=rtol,
                                           atol=atol, err_msg=f"slot {slot} of {n}")


def test_slot_variables_are_named_and_collected_as_tf1():
    w = tf.Variable(np.ones((2, 2), np.float32), name="w")
    with tf.variable_scope("layer"):
        b = tf.get_variable("b", initializer=tf.constant([1.0, 2.0]))
    opt = tf.train.AdamOptimizer()
    opt.apply_gradients([(tf.ones((2, 2)), w), (tf.ones((2,)), b)])
    assert opt.get_slot(w, "m").op.name == "w/Adam"
    assert opt.get_slot(w, "v").op.name == "w/Adam_1"
    assert opt.get_slot(b, "m").op.name == "layer/b/Adam"
    assert opt.get_slot(w, "missing") is None
    names = [v.op.name for v in tf.global_variables()]
    assert names == ["w", "layer/b", "beta1_power", "beta2_power", "w/Adam", "w/Adam_1",
                     "layer/b/Adam", "layer/b/Adam_1"]
    assert [v.op.name for v in tf.trainable_variables()] == ["w", "layer/b"]
    assert [v.op.name for v in opt.variables()] == [
        "beta1_power", "beta2_power", "layer/b/Adam", "layer/b/Adam_1", "w/Adam", "w/Adam_1"]
    # Slots and the beta powers sit next to their variable (the powers: the first by name).
    assert opt.get_slot(w, "m").op.colocation_groups() == [b"loc:@w"]
    beta1_power = opt._get_beta_accumulators()[0]
    assert beta1_power.dtype.base_dtype == tf.float32
    assert beta1_power.op.colocation_groups() == opt.get_slot(b, "m").op.colocation_groups()
    assert tf.get_collection(tf.GraphKeys.TRAIN_OP)[0].name == "Adam"


def test_second_optimizer_on_same_variable_gets_unique_slot_names():
    w = tf.Variable([1.0], name="w")
    first, second = tf.train.MomentumOptimizer(0.1, 0.9), tf.train.MomentumOptimizer(0.1, 0.9)
    first.apply_gradients([(tf.ones([1]), w)])
    second.apply_gradients([(tf.ones([1]), w)])
    assert first.get_slot(w, "momentum").op.name == "w/Momentum"
    assert second.get_slot(w, "momentum").op.name == "w/Momentum_1"


def test_apply_gradients_op_names_follow_name_scope():
    w = tf.Variable([1.0, 2.0], name="w")
    gs = tf.train.get_or_create_global_step()
    with tf.name_scope("train"):
        op = tf.train.GradientDescentOptimizer(0.5).apply_gradients([(tf.ones([2]), w)],
                                                                  global_step=gs)
    assert op.name == "train/GradientDescent" and op.type == "AssignAdd"
    graph = tf.get_default_graph()
    apply = graph.get_operation_by_name("train/GradientDescent/update_w/ApplyGradientDescent")
    assert apply.inputs[0].op.name == "w"
    assert apply.inputs[1].op.name == "train/GradientDescent/learning_rate"
    assert graph.get_operation_by_name("train/GradientDescent/update").type == "NoOp"
    named = tf.train.GradientDescentOptimizer(0.5).apply_gradients([(tf.ones([2]), w)],
                                                                 name="step")
    assert named.name == "step" and named.type == "NoOp"


def test_global_step_and_variables_in_two_sessions_are_independent():
    w = tf.Variable([1.0], name="w")
    gs = tf.train.get_or_create_global_step()
    train = tf.train.GradientDescentOptimizer(1.0).apply_gradients([(tf.constant([0.5]), w)],
                                                                 global_step=gs)
    with tf.Session() as a, tf.Session() as b:
        a.run(tf.global_variables_initializer())
        b.run(tf.global_variables_initializer())
        a.run(train)
        a.run(train)
        b.run(train)
        assert a.run(w).tolist() == [0.0] and tf.train.global_step(a, gs) == 2
        assert b.run(w).tolist() == [0.5] and tf.train.global_step(b, gs) == 1


def test_adam_beta_powers_advance_once_per_step():
    w = tf.Variable([1.0, 2.0], name="w")
    b = tf.Variable([0.0], name="b")
    opt = tf.train.AdamOptimizer(0.1, beta1=0.8, beta2=0.9)
    train = opt.apply_gradients([(tf.ones([2]), w), (tf.ones([1]), b)])
    b1, b2 = opt._get_beta_accumulators()
    assert (b1.op.name, b2.op.name) == ("beta1_power", "beta2_power")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(3):
            sess.run(train)
        np.testing.assert_allclose(sess.run([b1, b2]), [0.8 ** 4, 0.9 ** 4], rtol=1e-6)


def test_adam_nesterov_apply_op():
    w = tf.Variable(np.array([0.5, -1.0]), name="w")
    m = tf.Variable(np.zeros(2), name="m")
    v = tf.Variable(np.zeros(2), name="v")
    g = np.array([0.3, -0.2])
    op = training_ops.apply_adam(w, m, v, 0.9, 0.999, 0.01, 0.9, 0.999, 1e-8, g,
                                 use_nesterov=True)
    assert op.dtype == tf.float64._as_ref and op.op.type == "ApplyAdam"
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run(op)
    lr_t = 0.01 * np.sqrt(1 - 0.999) / (1 - 0.9)
    m_new, v_new = 0.1 * g, 0.001 * g * g
    want = np.array([0.5, -1.0]) - lr_t * (0.9 * m_new + 0.1 * g) / (np.sqrt(v_new) + 1e-8)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_apply_ops_update_in_place_with_fed_values():
    w = tf.Variable(np.array([1.0, 2.0], np.float32), name="w")
    acc = tf.Variable(np.array([0.5, 0.5], np.float32), name="acc")
    lr = tf.placeholder(tf.float32, [])
    grad = tf.placeholder(tf.float32, [2])
    op = training_ops.apply_adagrad(w, acc, lr, grad, update_slots=False)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(op, {lr: 0.5, grad: [1.0, -1.0]})
        np.testing.assert_allclose(sess.run(w), [1 - 0.5 / np.sqrt(0.5), 2 + 0.5 / np.sqrt(0.5)],
                                   rtol=1e-6)
        np.testing.assert_allclose(sess.run(acc), [0.5, 0.5])


def test_apply_op_argument_errors():
    w = tf.Variable(np.zeros((2, 3), np.float32), name="w")
    acc = tf.Variable(np.zeros((3, 2), np.float32), name="acc")
    with pytest.raises(TypeError, match="does not match type float32 of argument 'var'"):
        training_ops.apply_gradient_descent(w, tf.constant(0.1, tf.float64), np.zeros((2, 3)))
    with pytest.raises(TypeError, match="l-value"):
        training_ops.apply_momentum(w, tf.zeros((2, 3)), 0.1, tf.zeros((2, 3)), 0.9)
    with pytest.raises(ValueError, match="ApplyAdagrad"):
        training_ops.apply_adagrad(w, acc, 0.1, tf.zeros((2, 3)))
    with pytest.raises(ValueError, match="rank 0"):
        training_ops.apply_gradient_descent(w, [0.1, 0.2], tf.zeros((2, 3)))
    with pytest.raises(TypeError, match="int64"):
        training_ops.apply_adagrad_da(w, w, w, tf.zeros((2, 3)), 0.1, 0.0, 0.0,
                                      tf.constant(1, tf.int32))


def test_apply_op_runtime_errors():
    w = tf.Variable(np.zeros(2, np.float32), name="w")
    acc = tf.Variable(np.zeros(2, np.float32), name="acc")
    grad = tf.placeholder(tf.float32)
    op = training_ops.apply_adagrad(w, acc, 0.1, grad)
    with tf.Session() as sess:
        sess.run(w.initializer)
        with pytest.raises(tf.errors.FailedPreconditionError, match="acc"):
            sess.run(op, {grad: [1.0, 1.0]})
        sess.run(acc.initializer)
        with pytest.raises(tf.errors.InvalidArgumentError, match="grad"):
            sess.run(op, {grad: [1.0, 1.0, 1.0]})


def test_learning_rate_as_tensor_and_callable():
    w = tf.Variable([1.0], name="w")
    lr = tf.placeholder(tf.float32, [])
    by_tensor = tf.train.MomentumOptimizer(lr, 0.0).apply_gradients([(tf.constant([1.0]), w)])
    by_callable = tf.train.GradientDescentOptimizer(lambda: tf.constant(0.25)).apply_gradients(
        [(tf.constant([1.0]), w)])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(by_tensor, {lr: 0.5})
        sess.run(by_tensor, {lr: 0.125})
        sess.run(by_callable)
        np.testing.assert_allclose(sess.run(w), [1 - 0.5 - 0.125 - 0.25])


def test_none_gradients_are_skipped():
    w = tf.Variable([1.0], name="w")
    b = tf.Variable([1.0], name="b")
    opt = tf.train.MomentumOptimizer(0.5, 0.9)
    train = opt.apply_gradients([(tf.constant([1.0]), w), (None, b)])
    assert opt.get_slot(b, "momentum") is None
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        assert sess.run(w).tolist() == [0.5] and sess.run(b).tolist() == [1.0]


def test_constraint_is_applied_after_the_update():
    w = tf.Variable([1.0, -1.0], name="w", constraint=lambda v: tf.clip_by_value(v, -0.5, 0.5))
    train = tf.train.GradientDescentOptimizer(0.1).apply_gradients([(tf.constant([1.0, 1.0]), w)])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        np.testing.assert_allclose(sess.run(w), [0.5, -0.5])


# ---- constructor and apply_gradients errors ----
def test_constructor_errors():
    with pytest.raises(ValueError, match="initial_accumulator_value must be positive"):
        tf.train.AdagradOptimizer(0.1, initial_accumulator_value=0.0)
    with pytest.raises(ValueError, match="initial_accumulator_value must be positive"):
        tf.train.ProximalAdagradOptimizer(0.1, initial_accumulator_value=-1.0)
    with pytest.raises(ValueError, match="initial_gradient_squared_accumulator_value"):
        tf.train.AdagradDAOptimizer(0.1, None, initial_gradient_squared_accumulator_value=0.0)
    with pytest.raises(ValueError, match="learning_rate_power 0.500000 needs to be negative"):
        tf.train.FtrlOptimizer(0.1, learning_rate_power=0.5)
    with pytest.raises(ValueError, match="l1_regularization_strength -1.000000 needs to be"):
        tf.train.FtrlOptimizer(0.1, l1_regularization_strength=-1.0)
    with pytest.raises(ValueError, match="Must specify the optimizer name"):
        tf.train.GradientDescentOptimizer(0.1, name="")


def test_apply_gradients_errors():
    w = tf.Variable([1.0], name="w")
    opt = tf.train.GradientDescentOptimizer(0.1)
    with pytest.raises(ValueError, match="No variables provided"):
        opt.apply_gradients([])
    with pytest.raises(ValueError, match=r"No gradients provided for any variable: "
                                         r"\[\"<tf.Variable 'w:0'"):
        opt.apply_gradients([(None, w)])
    with pytest.raises(TypeError, match="Gradient must be convertible to a Tensor"):
        opt.apply_gradients([(object(), w)])
    with pytest.raises(NotImplementedError, match="Trying to update a Tensor"):
        opt.apply_gradients([(tf.constant(1.0), tf.constant(2.0))])


def test_proximal_optimizers_do_not_cast_hyper_parameters():
    w = tf.Variable(np.ones(2), name="w")
    with pytest.raises(TypeError, match="Input 'alpha' of 'ApplyProximalGradientDescent' Op"):
        tf.train.ProximalGradientDescentOptimizer(0.1).apply_gradients([(np.ones(2), w)])
    with pytest.raises(TypeError, match="Input 'lr' of 'ApplyProximalAdagrad' Op"):
        tf.train.ProximalAdagradOptimizer(0.1).apply_gradients([(np.ones(2), w)])


def test_adagrad_da_needs_an_int64_global_step():
    w = tf.Variable([1.0], name="w")
    step = tf.Variable(0, name="step")
    opt = tf.train.AdagradDAOptimizer(0.1, step)
    with pytest.raises(TypeError, match="int64"):
        opt.apply_gradients([(tf.constant([1.0]), w)])


def test_compute_gradients_errors():
    opt = tf.train.GradientDescentOptimizer(0.1)
    with pytest.raises(ValueError, match="No variables to optimize."):
        opt.compute_gradients(tf.constant(1.0))
    w = tf.Variable([1.0], name="w")
    with pytest.raises(ValueError, match="Invalid type tf.int32 for Const"):
        opt.compute_gradients(tf.constant(1))
    with pytest.raises(ValueError, match="gate_gradients must be one of"):
        opt.compute_gradients(tf.reduce_sum(w), gate_gradients=7)
    with pytest.raises(NotImplementedError, match="unsupported type"):
        opt.compute_gradients(tf.reduce_sum(w), var_list=[1.0])


def test_minimize_with_no_gradient_path_raises():
    w = tf.Variable([1.0], name="w")
    tf.Variable([2.0], name="unused")
    loss = tf.reduce_sum(tf.stop_gradient(w))
    with pytest.raises(ValueError, match=r"No gradients provided for any variable, check your "
                                         r"graph for ops that do not support gradients, between "
                                         r"variables \[.*'w:0'.*'unused:0'.*\] and loss Tensor"):
        tf.train.GradientDescentOptimizer(0.1).minimize(loss)


def test_compute_gradients_returns_none_for_unconnected_variables():
    w = tf.Variable([3.0], name="w")
    u = tf.Variable([1.0], name="u")
    pairs = tf.train.GradientDescentOptimizer(0.1).compute_gradients(tf.identity(w))
    assert [v for _, v in pairs] == [w, u]
    assert pairs[0][0] is not None and pairs[1][0] is None


# ---- minimize: needs the gradients of the ops in the loss ----
def _quadratic(dtype=np.float32):
    """loss = sum((x w + b - y)^2) with a unique minimum; returns (loss, w, b)."""
    x = tf.constant(np.array([[1.0, 2.0], [-1.0, 0.5], [0.3, 0.2], [2.0, -1.0]], dtype))
    y = tf.constant(np.array([[1.0], [0.0], [0.5], [-1.0]], dtype))
    w = tf.Variable(np.array([[0.5], [-0.5]], dtype), name="w")
    b = tf.Variable(np.array([0.1], dtype), name="b")
    return tf.reduce_sum(tf.square(tf.matmul(x, w) + b - y)), w, b


MINIMIZE = {
    "GradientDescent": lambda gs: tf.train.GradientDescentOptimizer(0.05),
    "Momentum": lambda gs: tf.train.MomentumOptimizer(0.02, 0.9),
    "Adam": lambda gs: tf.train.AdamOptimizer(0.1),
    "Adagrad": lambda gs: tf.train.AdagradOptimizer(0.3),
    "AdagradDA": lambda gs: tf.train.AdagradDAOptimizer(0.3, gs),
    "Adadelta": lambda gs: tf.train.AdadeltaOptimizer(10.0),
    "RMSProp": lambda gs: tf.train.RMSPropOptimizer(0.05),
    "Ftrl": lambda gs: tf.train.FtrlOptimizer(0.3),
    "ProximalGradientDescent": lambda gs: tf.train.ProximalGradientDescentOptimizer(0.05),
    "ProximalAdagrad": lambda gs: tf.train.ProximalAdagradOptimizer(0.3),
}


@needs_gradients
@pytest.mark.parametrize("name", sorted(MINIMIZE))
def test_minimize_decreases_a_quadratic(name):
    loss, w, b = _quadratic()
    gs = tf.train.get_or_create_global_step()
    train = MINIMIZE[name](gs).minimize(loss, global_step=gs)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        start = sess.run(loss)
        for _ in range(30):
            sess.run(train)
        assert sess.run(loss) < 0.8 * start
        assert sess.run(gs) == 30


@needs_gradients
def test_minimize_gradient_descent_step_is_exact():
    loss, w, b = _quadratic(np.float64)
    train = tf.train.GradientDescentOptimizer(tf.constant(0.05, tf.float64)).minimize(loss)
    x = np.array([[1.0, 2.0], [-1.0, 0.5], [0.3, 0.2], [2.0, -1.0]])
    y = np.array([[1.0], [0.0], [0.5], [-1.0]])
    wv, bv = np.array([[0.5], [-0.5]]), np.array([0.1])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(3):
            sess.run(train)
            r = 2 * (x @ wv + bv - y)
            wv, bv = wv - 0.05 * x.T @ r, bv - 0.05 * r.sum(0)
        np.testing.assert_allclose(sess.run(w), wv, rtol=1e-12)
        np.testing.assert_allclose(sess.run(b), bv, rtol=1e-12)


@needs_gradients
def test_minimize_honours_var_list():
    loss, w, b = _quadratic()
    train = tf.train.AdamOptimizer(0.1).minimize(loss, var_list=[b])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        w0, b0 = sess.run([w, b])
        sess.run(train)
        np.testing.assert_array_equal(sess.run(w), w0)
        assert sess.run(b) != b0


@needs_gradients
def test_compute_clip_apply_flow():
    loss, w, b = _quadratic()
    opt = tf.train.GradientDescentOptimizer(0.1)
    grads_and_vars = opt.compute_gradients(loss)
    grads, variables = zip(*grads_and_vars)
    clipped, norm = tf.clip_by_global_norm(grads, 1.0)
    train = opt.apply_gradients(list(zip(clipped, variables)),
                                global_step=tf.train.get_or_create_global_step())
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        w0, b0, g = sess.run([w, b, list(grads)])
        total = np.sqrt(sum(np.sum(x * x) for x in g))
        assert np.isclose(sess.run(norm), total, rtol=1e-5)
        sess.run(train)
        scale = min(1.0, 1.0 / total)
        np.testing.assert_allclose(sess.run(w), w0 - 0.1 * g[0] * scale, rtol=1e-5)
        np.testing.assert_allclose(sess.run(b), b0 - 0.1 * g[1] * scale, rtol=1e-5)


@needs_gradients
def test_gate_graph_and_grad_loss():
    w = tf.Variable([2.0], name="w")
    loss = tf.reduce_sum(tf.square(w))
    opt = tf.train.GradientDescentOptimizer(0.1)
    pairs = opt.compute_gradients(loss, gate_gradients=tf.train.Optimizer.GATE_GRAPH,
                                  grad_loss=tf.constant(3.0))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(pairs[0][0]).tolist() == [12.0]


@needs_gradients
def test_gradient_reaches_the_variable_through_any_read():
    w = tf.Variable([2.0], name="w")
    loss = tf.reduce_sum(w.read_value() * 3.0)
    train = tf.train.GradientDescentOptimizer(1.0).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        assert sess.run(w).tolist() == [-1.0]
