"""What test cells use: comparisons, gradient checks, the no-loop rule, the device check, the
forbidden-call guard and the speed-ratio check.

Public checks (visible to students) and hidden tests share these helpers, so a message a student
sees while debugging reads the same as the one the autograder records.
"""

from dl4cv.device import available_devices
from dl4cv.testing.compare import assert_close, numeric_gradient, rel_error
from dl4cv.testing.forbidden import CallGuard, ForbiddenCallError, forbidden_calls
from dl4cv.testing.rules import (
    Call,
    DeviceWarning,
    assert_device_clean,
    assert_loops,
    assert_no_autograd,
    assert_no_loops,
)
from dl4cv.testing.source_loops import count_loops, find_loops
from dl4cv.testing.speed import assert_speedup, best_time, speed_ratio

__all__ = [
    "available_devices",
    "rel_error",
    "assert_close",
    "numeric_gradient",
    "find_loops",
    "count_loops",
    "Call",
    "assert_no_loops",
    "assert_loops",
    "assert_device_clean",
    "assert_no_autograd",
    "DeviceWarning",
    "CallGuard",
    "ForbiddenCallError",
    "forbidden_calls",
    "best_time",
    "speed_ratio",
    "assert_speedup",
]
