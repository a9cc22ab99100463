"""Process-wide tuning of glibc's malloc for kernel workloads.

Kernels allocate and free many multi-megabyte buffers each step. By default glibc hands
freed memory back to the OS and page-faults it in again on the next step (~10,000 faults,
~30 ms per LeNet step). Raising the trim and mmap thresholds keeps those pages in the heap for
reuse, as TF's own allocator does. Applied once, on the first Session.
"""
import ctypes
import ctypes.util
import os
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_THRESHOLD = 1 << 30
_tuned = False


def tune_malloc():
    global _tuned
    if _tuned or not sys.platform.startswith("linux") or os.environ.get("TENSORFLUX_NO_MALLOPT"):
        return
    _tuned = True
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return  # not glibc (musl, ...): nothing to tune
    mallopt(_M_TRIM_THRESHOLD, _THRESHOLD)
    mallopt(_M_MMAP_THRESHOLD, _THRESHOLD)
