"""Students of a5 who hand in every notebook: the instructor's solution (full marks everywhere)
and the release exactly as handed out (zero everywhere, without stopping the batch)."""

from dl4cv.course.classroom import SimulatedStudent

STUDENTS = [
    SimulatedStudent("reference", "the instructor's solution"),
    SimulatedStudent("untouched", "the release as handed out, nothing filled in", start="release"),
]
