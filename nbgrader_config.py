"""nbgrader settings for the dl4cv course (read by `nbgrader ...` and by `dl4cv ...`)."""

from pathlib import Path

from dl4cv import env
from dl4cv.course.modules import exclude_overwriting

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)
root = Path(__file__).resolve().parent

c.CourseDirectory.course_id = "dl4cv"
c.CourseDirectory.root = str(root)
# SQLite by default; any SQLAlchemy URL (e.g. PostgreSQL for a large class) via DL4CV_DB_URL.
c.CourseDirectory.db_url = env.text("DL4CV_DB_URL") or f"sqlite:///{root / 'gradebook.db'}"
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".pytest_cache"]

# The student's own modules (source/<aid>/*.py with solution regions) are graded, never replaced
# by the instructor's copy.
c.Autograde.exclude_overwriting = exclude_overwriting(root / "source")

# Execution limits for student notebooks. The first cell imports torch, which can take a while on
# a loaded machine, so keep the per-cell timeout generous.
c.Execute.timeout = env.integer("DL4CV_CELL_TIMEOUT")
c.Execute.interrupt_on_timeout = True
c.Execute.execute_retries = 0
c.LimitOutput.max_lines = 1000
c.LimitOutput.max_traceback = 100


# The grading sandbox (see dl4cv/course/sandbox.py): each notebook runs in a fresh copy outside the
# course folder, without network, under these limits, and with `bwrap` its kernel sees nothing of the
# machine but the system runtime, the Python environment, dl4cv and the data (read-only) and its own
# copy. `isolation` is "auto" (the strongest this machine allows: bwrap, then unshare, then none), or
# one of those names to insist on it. Grading refuses to run without bwrap's isolation unless
# `allow_unisolated` is True (or `dl4cv grade --allow-unisolated`); every status then says so.
# The defaults are written once, in dl4cv/course/sandbox.py (`dl4cv doctor` prints them); set any
# of c.Sandbox.notebook_timeout, memory_mb, max_processes, max_file_mb, network, isolation and
# allow_unisolated here to change it for this course.
