"""Cross-student contamination: a student graded after one who leaves traps everywhere it can
reach gets exactly the score and the outputs it gets when graded alone.

Both run in sequence on one worker process (`jobs=1`), the worst case: the same grading process,
the same /tmp and /dev/shm of the host, the same Python environment and course folder.
"""

from __future__ import annotations

import nbformat
import pytest

from dl4cv.course.classroom import Edit, SimulatedStudent, write_submission
from dl4cv.course.grade import grade_assignment
from dl4cv.course.report import gradebook_scores

from .tiny_course import AID, tiny_course

pytestmark = pytest.mark.slow

# Files where a later kernel would look (Python start-up, IPython start-up, matplotlib and shell
# configuration, shared temporary folders), a process that keeps killing every other kernel it
# can see and re-planting its files, and attempts on the Python environment and dl4cv.
TRAPS = """\
import os, site, subprocess, sys
from pathlib import Path
import dl4cv
home = Path.home()
trap = "import os; os._exit(1)\\n"
for path in [Path("/tmp/zz_contaminate.py"), Path("/dev/shm/zz_contaminate"), Path.cwd().parent / "zz_contaminate",
             home / ".ipython/profile_default/startup/00-zz.py", home / ".config/matplotlib/matplotlibrc",
             home / ".bashrc", home / ".profile", home / ".local/lib/python3.11/site-packages/sitecustomize.py",
             Path(site.getsitepackages()[0]) / "sitecustomize.py", Path(site.getsitepackages()[0]) / "zz_contaminate.pth",
             Path(dl4cv.__file__).parent / "fast.py", Path("/etc/environment")]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(trap if path.suffix in (".py", ".pth", "") else "backend: nonexistent\\n")
    except OSError:
        pass
killer = '''
import os, signal, time
for _ in range(600):
    for pid in os.listdir("/proc"):
        try:
            if pid.isdigit() and int(pid) != os.getpid() and b"ipykernel" in open(f"/proc/{pid}/cmdline", "rb").read():
                os.kill(int(pid), signal.SIGKILL)
        except OSError:
            pass
    try:
        open("/tmp/zz_contaminate.py", "w").write("import os; os._exit(1)")
    except OSError:
        pass
    time.sleep(0.1)
'''
subprocess.Popen([sys.executable, "-c", killer], start_new_session=True, stdin=subprocess.DEVNULL,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
"""

# What the victim's kernel sees, printed when its module is imported (part of its outputs).
LOOK_AROUND = """\
import os, sys
from pathlib import Path
def listing(folder):  # the kernel's own working copy has a random name
    return sorted(p for p in os.listdir(folder) if not p.startswith("dl4cv-grade-"))
print("tmp:", listing("/tmp"), "home:", listing(Path.home()), "shm:", listing("/dev/shm"))
print("sitecustomize:", any(os.path.exists(os.path.join(p, "sitecustomize.py")) for p in sys.path),
      "variables:", sorted(os.environ))
"""

TRAPPER = SimulatedStudent("a_trapper", "leaves traps, then answers right",
                           edits=(Edit("tiny.py", "import torch\n", "import torch\n" + TRAPS),))
VICTIM = SimulatedStudent("b_victim", "honest; prints what its kernel finds around it",
                          edits=(Edit("tiny.py", "import torch\n", "import torch\n" + LOOK_AROUND),))


def _graded(root, student: str) -> tuple[dict, list]:
    scores = {c.cell: c.score for c in gradebook_scores(root=root, assignment=AID)[student]}
    nb = nbformat.read(root / "autograded" / student / AID / "tiny.ipynb", as_version=4)
    outputs = [[{k: v for k, v in o.items() if k != "execution_count"} for o in c.get("outputs", [])]
               for c in nb.cells if c.cell_type == "code"]  # fmt: skip
    return scores, outputs


def test_a_student_after_a_trapper_is_graded_as_if_alone(tmp_path):
    together = tiny_course(tmp_path / "together")
    for student in (TRAPPER, VICTIM):
        write_submission(student, root=together, assignment=AID)
    results = grade_assignment(root=together, assignment=AID, jobs=1, progress=False)
    assert [r.student for r in results] == ["a_trapper", "b_victim"]

    alone = tiny_course(tmp_path / "alone")
    write_submission(VICTIM, root=alone, assignment=AID)
    grade_assignment(root=alone, assignment=AID, jobs=1, progress=False)

    scores, outputs = _graded(together, "b_victim")
    assert (scores, outputs) == _graded(alone, "b_victim")
    assert scores == {"a9_tiny_double": 2, "a9_tiny_square": 1}
    assert "zz_contaminate" not in str(outputs) and "sitecustomize: False" in str(outputs)
    assert _graded(together, "a_trapper")[0] == scores, "the trapper answered right too"
