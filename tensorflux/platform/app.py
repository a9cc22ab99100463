"""tf.app.run: parse flags, call main(argv), exit with its result."""
import sys

from tensorflux.platform import flags


def run(main=None, argv=None):
    args = flags.FLAGS(sys.argv if argv is None else argv)
    if main is None:
        main = sys.modules["__main__"].main
    sys.exit(main(args))
