"""dl4cv: support library for the Deep Learning for Computer Vision course.

Students import the small helpers (`dl4cv.device`, `dl4cv.data`, `dl4cv.fast`, `dl4cv.viz`,
`dl4cv.testing`); instructors use `dl4cv.course` through the `dl4cv` command. The package never
contains a reference solution: it is installed on student machines.
"""

__version__ = "0.1.0"
