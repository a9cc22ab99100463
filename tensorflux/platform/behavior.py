"""TF2's switches, for programs written `import tensorflow.compat.v1 as tf`: tensorflux is
always in TF1 graph mode, so disabling v2 behaviour is a no-op and enabling it is refused."""


def disable_v2_behavior():
    pass


def disable_eager_execution():
    pass


def executing_eagerly():
    return False


def enable_eager_execution(config=None, device_policy=None, execution_mode=None):
    raise RuntimeError("tensorflux runs TF1 graph mode only: eager execution is not available.")


def enable_v2_behavior():
    raise RuntimeError("tensorflux runs TF1 graph mode only: v2 behavior is not available.")
