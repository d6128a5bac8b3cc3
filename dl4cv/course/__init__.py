"""Instructor tooling behind the `dl4cv` command: release, grade, export, feedback, demo.

Every command is a plain keyword-only function here; `dl4cv.course.cli` is a thin click layer.
"""
