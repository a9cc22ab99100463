"""The `tensorflux` command: run TF1 scripts unmodified, print environment information."""
import argparse
import os
import runpy
import sys


def alias_tensorflow():
    """Makes `import tensorflow` (and its TF1 submodules) import tensorflux."""
    import tensorflux
    from tensorflux.examples.tutorials.mnist import input_data
    sys.modules["tensorflow"] = tensorflux
    sys.modules["tensorflow.compat"] = tensorflux.compat
    sys.modules["tensorflow.compat.v1"] = tensorflux
    for name in ("examples", "examples.tutorials", "examples.tutorials.mnist"):
        sys.modules[f"tensorflow.{name}"] = sys.modules[f"tensorflux.{name}"]
    sys.modules["tensorflow.examples.tutorials.mnist.input_data"] = input_data
    import tensorflux.core.protobuf.config_pb2  # noqa: F401  (loads the submodules named below)
    import tensorflux.core.protobuf.rewriter_config_pb2  # noqa: F401
    for name in ("nn", "train", "summary", "data", "image", "losses", "contrib",
                 "contrib.layers", "python_io", "errors", "app", "flags", "logging", "core",
                 "core.protobuf", "core.protobuf.config_pb2",
                 "core.protobuf.rewriter_config_pb2"):
        module = tensorflux
        for part in name.split("."):
            module = getattr(module, part, None)
        if module is not None:
            sys.modules[f"tensorflow.{name}"] = module


def _run(args):
    alias_tensorflow()
    sys.argv = [args.script] + args.args
    sys.path.insert(0, os.path.dirname(os.path.abspath(args.script)))
    runpy.run_path(args.script, run_name="__main__")


def _info(_):
    import numpy
    import tensorflux
    from tensorflux.runtime import devices
    print(f"tensorflux {tensorflux.__version__} (TF {tensorflux.VERSION} API)")
    print(f"python {sys.version.split()[0]}, numpy {numpy.__version__}")
    print("kernel libraries:", ", ".join(devices.kernel_libraries()))
    with tensorflux.Session() as sess:
        for device in sess.list_devices():
            print("device:", device.name)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="tensorflux")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a TF1 script with `import tensorflow` bound to tensorflux")
    run.add_argument("script")
    run.add_argument("args", nargs=argparse.REMAINDER)
    run.set_defaults(fn=_run)
    info = sub.add_parser("info", help="versions, kernel libraries and devices")
    info.set_defaults(fn=_info)
    args = parser.parse_args(argv)
    args.fn(args)


if __name__ == "__main__":
    main()
