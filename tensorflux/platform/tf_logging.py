"""tf.logging: TF1's logging functions over Python's logging module."""
import logging as _logging

DEBUG, INFO, WARN, ERROR, FATAL = (_logging.DEBUG, _logging.INFO, _logging.WARNING,
                                   _logging.ERROR, _logging.CRITICAL)
_logger = _logging.getLogger("tensorflux")
if not _logger.handlers:
    _handler = _logging.StreamHandler()
    _handler.setFormatter(_logging.Formatter("%(levelname)s:tensorflow:%(message)s"))
    _logger.addHandler(_handler)
    _logger.setLevel(WARN)
    _logger.propagate = False


def set_verbosity(level):
    _logger.setLevel(level)


def get_verbosity():
    return _logger.level


def debug(msg, *args):
    _logger.debug(msg, *args)


def info(msg, *args):
    _logger.info(msg, *args)


def warning(msg, *args):
    _logger.warning(msg, *args)


warn = warning


def error(msg, *args):
    _logger.error(msg, *args)


def fatal(msg, *args):
    _logger.critical(msg, *args)
