"""`tensorflux run script.py`: an unmodified TF1 script, its tensorflow imports bound to
tensorflux; and `tensorflux info`."""
import os
import subprocess
import sys
import textwrap

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SCRIPT = textwrap.dedent("""
    import sys
    import tensorflow as tf
    from tensorflow.core.protobuf import config_pb2, rewriter_config_pb2
    from tensorflow.examples.tutorials.mnist import input_data  # noqa: F401

    config = config_pb2.ConfigProto()
    config.graph_options.rewrite_options.constant_folding = rewriter_config_pb2.RewriterConfig.OFF
    a = tf.constant([[3., 3.]])
    b = tf.constant([[2.], [2.]])
    with tf.Session(config=config) as sess:
        print(sess.run(tf.matmul(a, b)), sys.argv[1:])
""")


def _tensorflux(*args, cwd):
    env = dict(os.environ, PYTHONPATH=REPO, TENSORFLUX_KERNELS="numpy")
    return subprocess.run([sys.executable, "-m", "tensorflux.tools.cli", *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=120)


def test_run_executes_a_tf1_script_unmodified(tmp_path):
    script = tmp_path / "tf1_script.py"
    script.write_text(SCRIPT)
    done = _tensorflux("run", str(script), "--steps", "3", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[[12.]] ['--steps', '3']"


def test_run_reports_a_failing_script(tmp_path):
    script = tmp_path / "broken.py"
    script.write_text("import tensorflow as tf\ntf.constant(1) + tf.constant('a')\n")
    done = _tensorflux("run", str(script), cwd=tmp_path)
    assert done.returncode != 0
    assert "TypeError" in done.stderr or "ValueError" in done.stderr


def test_info_lists_libraries_and_devices(tmp_path):
    done = _tensorflux("info", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "kernel libraries: numpy" in done.stdout
    assert "device: /job:localhost/replica:0/task:0/device:CPU:0" in done.stdout
