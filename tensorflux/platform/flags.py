"""tf.flags / tf.app.flags: absl-style command-line flags parsed on first access."""
import argparse
import sys


class _FlagValues:
    def __init__(self):
        object.__setattr__(self, "_parser", argparse.ArgumentParser(add_help=False))
        object.__setattr__(self, "_values", None)
        object.__setattr__(self, "_defaults", {})

    def _define(self, name, default, help_text, kind):
        self._defaults[name] = default
        if kind is bool:
            self._parser.add_argument(f"--{name}", type=_parse_bool, nargs="?", const=True,
                                      default=default, help=help_text)
            self._parser.add_argument(f"--no{name}", dest=name, action="store_false")
        else:
            self._parser.add_argument(f"--{name}", type=kind, default=default, help=help_text)
        if self._values is not None:
            setattr(self._values, name, default)

    def __call__(self, argv):
        """Parses `argv` (program name first); returns the arguments left over."""
        values, rest = self._parser.parse_known_args(argv[1:])
        object.__setattr__(self, "_values", values)
        return [argv[0]] + rest

    def __getattr__(self, name):
        if self._values is None:
            self(sys.argv)
        try:
            return getattr(self._values, name)
        except AttributeError:
            raise AttributeError(f"Unknown command line flag '{name}'") from None

    def __setattr__(self, name, value):
        if self._values is None:
            self(sys.argv)
        setattr(self._values, name, value)

    def __contains__(self, name):
        return name in self._defaults


def _parse_bool(text):
    return str(text).lower() in ("1", "true", "t", "yes", "y")


FLAGS = _FlagValues()


def DEFINE_string(name, default, help=None):
    FLAGS._define(name, default, help, str)


def DEFINE_integer(name, default, help=None, lower_bound=None, upper_bound=None):
    FLAGS._define(name, default, help, int)


def DEFINE_float(name, default, help=None, lower_bound=None, upper_bound=None):
    FLAGS._define(name, default, help, float)


def DEFINE_boolean(name, default, help=None):
    FLAGS._define(name, default, help, bool)


DEFINE_bool = DEFINE_boolean
