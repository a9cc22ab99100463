"""Cross-checks against a real TensorFlow, run in a separate Python process.

TensorFlow is not a dependency: it lives in its own environment (TENSORFLUX_TF_PYTHON, else
this interpreter when it can import tensorflow, else /tmp/tfvenv/bin/python). Tests that call
run_tf() skip when no such Python exists, as in CI (TENSORFLUX_TF_PYTHON=none forces that).
"""
import functools
import importlib.util
import os
import subprocess
import sys
import textwrap

import pytest

_PRELUDE = """\
import os, sys, json
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
tf.logging.set_verbosity(tf.logging.ERROR)
ARGS = sys.argv[1:]
"""


@functools.lru_cache(maxsize=None)
def tensorflow_python():
    """The path of a Python that can import tensorflow, or None."""
    if "TENSORFLUX_TF_PYTHON" in os.environ:       # set (even to "none"): only that one
        candidates = [os.environ["TENSORFLUX_TF_PYTHON"]]
    else:
        candidates = [sys.executable if importlib.util.find_spec("tensorflow") else None,
                      "/tmp/tfvenv/bin/python"]
    for python in candidates:
        if python and os.path.exists(python):
            check = subprocess.run([python, "-c", "import tensorflow"], capture_output=True,
                                   timeout=600, env=_environment())
            if check.returncode == 0:
                return python
    return None


def _environment():
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)      # the TF environment has its own packages
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    return env


def run_tf(script, *args, timeout=600):
    """Runs `script` (TF1 mode: `tf` is tensorflow.compat.v1, `np` numpy, ARGS the string
    arguments) under real TensorFlow; returns its stdout. Skips the test without TF."""
    python = tensorflow_python()
    if python is None:
        pytest.skip("needs a Python with tensorflow (set TENSORFLUX_TF_PYTHON)")
    result = subprocess.run([python, "-c", _PRELUDE + textwrap.dedent(script)]
                            + [str(a) for a in args], capture_output=True, text=True,
                            timeout=timeout, env=_environment())
    if result.returncode != 0:
        raise AssertionError(f"TensorFlow script failed:\n{result.stderr[-4000:]}")
    return result.stdout
