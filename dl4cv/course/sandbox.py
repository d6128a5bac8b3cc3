"""The grading sandbox: where an untrusted student notebook runs, and what it may use.

Each notebook executes in a fresh working copy outside the course folder, and its kernel starts
through three layers:

1. **isolation** (`bwrap`): the kernel's filesystem is a whitelist — the system runtime, the
   Python environment, the dl4cv package and the data, all read-only, plus its own working copy;
   `/tmp` (its `$HOME`) and `/dev/shm` are private and empty. No course folder, gradebook, other
   student's work or other copy of the course exists for it. It has no capabilities, its own
   process, IPC and network namespaces, and dies with the grader. The kernel talks to the grader
   over Unix sockets in the working copy, which need no network. Grading refuses to run where
   `bwrap` cannot do this (`check_isolation`), unless the instructor accepts the risk
   (`Sandbox.allow_unisolated`); then `unshare -n` still takes the network away where it works.
2. **limits**: a cgroup per kernel caps memory and the number of processes and threads (a fork bomb
   stops there); `RLIMIT_FSIZE` caps any one file written; core dumps are off.
3. **a watchdog** thread in the grader: the whole-notebook wall-clock limit, and the same memory and
   process limits measured from outside, for machines where cgroups are not writable.

A kernel stopped for breaking a limit leaves a one-line reason (`take_violation`), which becomes
the submission's status. The limits are settings of `Sandbox` in nbgrader_config.py.
"""

from __future__ import annotations

import functools
import glob
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, Enum, Int, List, Unicode, default
from traitlets.config import Configurable

from dl4cv import env
from dl4cv.course.config import CourseError


MPL_CACHE_ENV = "DL4CV_MPL_CACHE"


def warm_matplotlib_cache() -> Path:
    """A matplotlib config folder with its font list built, for kernels to start from (a copy).

    Each sandboxed kernel starts with an empty home; without this, every one of them spends
    seconds rebuilding the font cache the first time a notebook plots.
    """
    folder = Path(tempfile.gettempdir()) / f"dl4cv-matplotlib-{os.getuid()}"
    folder.mkdir(exist_ok=True)
    if not any(folder.glob("fontlist*.json")):
        env = dict(os.environ, MPLCONFIGDIR=str(folder), MPLBACKEND="Agg")
        subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=env, capture_output=True, timeout=300)
    return folder


class Sandbox(Configurable):
    """Limits for executing one student notebook (`c.Sandbox.<name>` in nbgrader_config.py).

    The defaults below are the only place they are written; `dl4cv doctor` prints those in force.
    """

    notebook_timeout = Int(help="Seconds the whole notebook may run before its kernel is stopped "
                                "(default: $DL4CV_NOTEBOOK_TIMEOUT, else 900).").tag(config=True)  # fmt: skip
    memory_mb = Int(4096, help="Memory (MiB) the kernel and its children may use together.").tag(config=True)
    max_processes = Int(512, help="Processes and threads the kernel may have at once.").tag(config=True)
    max_file_mb = Int(256, help="Largest file (MiB) the kernel may write.").tag(config=True)
    network = Bool(False, help="Let notebooks reach the network (default: no network).").tag(config=True)
    isolation = Enum(["auto", "bwrap", "unshare", "none"], "auto",
                     help="How to isolate kernels: 'auto' picks the strongest this machine allows.").tag(config=True)
    allow_unisolated = Bool(False, help="Grade even where kernels cannot be isolated from the machine's files "
                                        "(bwrap missing or not working); every status then says so.").tag(config=True)

    @default("notebook_timeout")
    def _notebook_timeout_from_environment(self) -> int:
        return env.integer("DL4CV_NOTEBOOK_TIMEOUT")


# --------------------------------------------------------------------------- what the machine allows

BWRAP_FIX = "sudo apt install bubblewrap"


@dataclass(frozen=True)
class Isolation:
    """How strongly this machine can isolate kernels: `level` is 'bwrap' (a whitelisted
    filesystem view, own process and network namespaces), 'unshare' (network only) or 'none';
    `problem` says why it is not 'bwrap', and what fixes that."""

    level: str
    problem: str | None = None


def _run(command: list[str]) -> tuple[bool, str]:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as error:
        return False, str(error)
    lines = [ln.strip() for ln in (done.stderr or "").splitlines() if ln.strip()]
    return done.returncode == 0, lines[-1] if lines else f"exit code {done.returncode}"


@functools.cache
def probe_isolation() -> Isolation:
    """What this machine allows, found by running the sandbox's own `bwrap` set-up on `true`."""
    problem = None
    if not shutil.which("bwrap"):
        problem = f"bwrap is not installed (fix: {BWRAP_FIX})"
    else:
        probe = isolation_command(isolation="bwrap", workdir=tempfile.gettempdir(), readable=[], network=False)
        works, message = _run([*probe, "true"])
        if works:
            return Isolation("bwrap")
        problem = (f"bwrap is installed but cannot create the sandbox's namespaces here ({message}); in a container, "
                   "allow unprivileged user namespaces or run the container with the right to unshare")  # fmt: skip
    if shutil.which("unshare") and _run(["unshare", "-n", "true"])[0]:
        return Isolation("unshare", problem)
    return Isolation("none", problem)


def available_isolation() -> str:
    """'bwrap', 'unshare' or 'none': the strongest isolation this machine allows."""
    return probe_isolation().level


def choose_isolation(requested: str) -> str:
    """The isolation to use for `requested` ('auto' or a method); raises if it is not available."""
    available = available_isolation()
    if requested == "auto":
        return available
    order = ["none", "unshare", "bwrap"]
    if order.index(requested) > order.index(available):
        raise UnisolatedError(f"Sandbox.isolation is {requested!r} but this machine only allows {available!r}: "
                              f"{probe_isolation().problem}")  # fmt: skip
    return requested


class UnisolatedError(CourseError):
    """Grading would run student code without filesystem isolation, and nobody accepted that."""


def check_isolation(settings: Sandbox) -> str:
    """The isolation grading will use; raises `UnisolatedError` when it is not 'bwrap' and
    `settings.allow_unisolated` is off. The message names the fix and the opt-out."""
    isolation = choose_isolation(settings.isolation)
    if isolation == "bwrap" or settings.allow_unisolated:
        return isolation
    why = probe_isolation().problem if settings.isolation == "auto" else f"Sandbox.isolation is {settings.isolation!r}"
    raise UnisolatedError(
        f"refusing to grade: student code would run without filesystem isolation and could read solutions or "
        f"write into the course ({why}). To accept that risk: --allow-unisolated, or "
        f"c.Sandbox.allow_unisolated = True in nbgrader_config.py"
    )


def describe(settings: Sandbox) -> str:
    """One line for the grader's log: what protects the machine from student code here."""
    isolation = choose_isolation(settings.isolation)
    parts = {
        "bwrap": "bwrap: kernels see only the system runtime, the Python environment, dl4cv and the data "
                 "(read-only) and their own copy; private /tmp, /dev/shm and $HOME; own process namespace",
        "unshare": "UNISOLATED: unshare only, kernels can read and write the machine's files",
        "none": "UNISOLATED: neither bwrap nor unshare works on this machine",
    }[isolation]  # fmt: skip
    network = "network on" if settings.network else ("no network" if isolation != "none" else "network NOT blocked")
    limits = "cgroup limits" if Cgroup.available() else "no writable cgroups: limits enforced by the watchdog only"
    return (f"sandbox: {parts}; {network}; {limits}; memory {settings.memory_mb} MiB, "
            f"{settings.max_processes} processes, notebook {settings.notebook_timeout} s")  # fmt: skip


# --------------------------------------------------------------------------- cgroups


class Cgroup:
    """A memory + pids cgroup for one kernel (cgroup v2, or the v1 `memory` and `pids` hierarchies)."""

    ROOT = Path("/sys/fs/cgroup")

    def __init__(self, *, memory_bytes: int, max_processes: int):
        self.name = f"dl4cv-{uuid.uuid4().hex[:12]}"
        self.dirs: list[Path] = []
        self.memory_dir: Path | None = None
        for controller, parent in self._parents().items():
            folder = parent / self.name
            folder.mkdir()
            self.dirs.append(folder)
            if controller in ("memory", "unified"):
                limit = "memory.max" if controller == "unified" else "memory.limit_in_bytes"
                (folder / limit).write_text(str(memory_bytes))
                # Swap counts too, so a memory hog is stopped instead of crawling until it times out.
                swap = folder / ("memory.swap.max" if controller == "unified" else "memory.memsw.limit_in_bytes")
                if swap.is_file():
                    swap.write_text("0" if controller == "unified" else str(memory_bytes))
                self.memory_dir = folder
            if controller in ("pids", "unified"):
                (folder / "pids.max").write_text(str(max_processes))

    @classmethod
    def _parents(cls) -> dict[str, Path]:
        """Writable parent folder per controller, below this process's own cgroup."""
        own = {}
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            for controller in controllers.split(",") if controllers else ["unified"]:
                own[controller] = path.lstrip("/")
        if (cls.ROOT / "cgroup.controllers").is_file():  # pure cgroup v2
            parent = cls.ROOT / own.get("unified", "")
            enabled = (parent / "cgroup.subtree_control").read_text().split() if parent.is_dir() else []
            return {"unified": parent} if {"memory", "pids"} <= set(enabled) else {}
        parents = {c: cls.ROOT / c / own.get(c, "") for c in ("memory", "pids")}
        return parents if all(p.is_dir() for p in parents.values()) else {}

    @classmethod
    @functools.cache
    def available(cls) -> bool:
        """Whether per-kernel cgroups can be created here (root, or a delegated subtree)."""
        try:
            Cgroup(memory_bytes=1 << 30, max_processes=64).remove()
            return True
        except (OSError, ValueError):
            return False

    @property
    def procs_files(self) -> list[str]:
        return [str(folder / "cgroup.procs") for folder in self.dirs]

    def memory_used(self) -> int | None:
        """Bytes of anonymous memory (not page cache) the cgroup's processes hold now."""
        stat = self.memory_dir / "memory.stat" if self.memory_dir is not None else None
        if stat is None or not stat.is_file():
            return None
        values = dict(line.split() for line in stat.read_text().splitlines())
        return int(values.get("anon", values.get("total_rss", 0)))

    def memory_exceeded(self) -> bool:
        """Whether the kernel hit the memory limit (the out-of-memory killer ran, or allocations failed)."""
        if self.memory_dir is None:
            return False
        for name in ("memory.events", "memory.oom_control"):
            path = self.memory_dir / name
            if path.is_file():
                values = dict(line.split() for line in path.read_text().splitlines())
                if int(values.get("oom_kill", 0)) > 0 or int(values.get("max", 0)) > 0:
                    return True
        return any(int((self.memory_dir / n).read_text() or 0) > 0
                   for n in ("memory.failcnt", "memory.memsw.failcnt") if (self.memory_dir / n).is_file())  # fmt: skip

    def remove(self) -> None:
        """Kill whatever is still inside (a process the kernel left behind), then delete the cgroup."""
        for folder in self.dirs:
            kill = folder / "cgroup.kill"  # cgroup v2 since Linux 5.14
            try:
                if kill.is_file():
                    kill.write_text("1")
                else:
                    for pid in (folder / "cgroup.procs").read_text().split():
                        os.kill(int(pid), 9)
            except (OSError, ValueError):
                pass
        for folder in self.dirs:
            for _ in range(50):  # processes take a moment to leave after being killed
                try:
                    folder.rmdir()
                    break
                except OSError:
                    time.sleep(0.1)


# --------------------------------------------------------------------------- the kernel manager

_violations: dict[str, str] = {}
_violations_lock = threading.Lock()


def take_violation(workdir: str | Path, *, wait: float = 0.0) -> str | None:
    """The limit the kernel working in `workdir` broke, if the sandbox stopped it (then forgets it).

    `wait` gives the watchdog that long to notice a kernel that has just died (it looks every 0.1 s).
    """
    deadline = time.monotonic() + wait
    while True:
        with _violations_lock:
            if str(workdir) in _violations or time.monotonic() >= deadline:
                return _violations.pop(str(workdir), None)
        time.sleep(0.05)


def _record(workdir: str, reason: str) -> None:
    with _violations_lock:
        _violations.setdefault(workdir, reason)


#: The system runtime a kernel needs, read-only. Everything else of the host is absent.
SYSTEM_FOLDERS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/sys")
#: The files of /etc that Python, its libraries and CUDA read (no shadow, no ssh, no cron).
SYSTEM_ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "timezone", "passwd", "group",
              "nsswitch.conf", "hosts", "host.conf", "ssl", "ca-certificates", "fonts", "mime.types",
              "alternatives", "os-release", "protocols", "services")  # fmt: skip


def _ro_bind(path: str) -> list[str]:
    """bwrap arguments that show host `path` read-only at the same place (a link stays a link)."""
    if os.path.islink(path):
        return ["--symlink", os.readlink(path), path]
    return ["--ro-bind", path, path] if os.path.exists(path) else []


def isolation_command(*, isolation: str, workdir: str, readable: list[str], network: bool) -> list[str]:
    """The command prefix that runs a kernel isolated in `workdir` (empty for 'none').

    With 'bwrap' the kernel's filesystem is a whitelist: the system runtime and `readable` (the
    Python environment, dl4cv, the data) read-only, `workdir` writable, private empty `/tmp` (its
    `$HOME`) and `/dev/shm`, GPUs; nothing else of the host, so no other copy of the course, no
    gradebook and no other student's work exists for it. It runs with no capabilities, in its own
    process, IPC, UTS and (unless `network`) network namespaces, and dies with the grader.
    """
    if isolation == "unshare":
        return [] if network else ["unshare", "-n"]
    if isolation != "bwrap":
        return []
    command = ["bwrap"]
    for folder in SYSTEM_FOLDERS:
        command += _ro_bind(folder)
    command += ["--dir", "/etc"]
    for name in SYSTEM_ETC:
        command += _ro_bind(f"/etc/{name}")
    # The private /tmp first: a checkout (its venv, its dl4cv) may itself lie under the host's /tmp.
    command += ["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    for folder in sorted(set(readable)):
        if not any(Path(folder).is_relative_to(system) for system in SYSTEM_FOLDERS):
            command += ["--ro-bind", str(Path(folder).resolve()), folder]
    for device in sorted(glob.glob("/dev/nvidia*")):  # CUDA needs its device files
        command += ["--dev-bind", device, device]
    command += ["--bind", workdir, workdir, "--remount-ro", "/", "--chdir", workdir, "--setenv", "HOME", "/tmp",
                "--unsetenv", "JPY_PARENT_PID",
                "--cap-drop", "ALL", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
                "--die-with-parent", "--new-session"]  # fmt: skip
    if not network:
        command.append("--unshare-net")
    return command


class SandboxedKernelManager(AsyncKernelManager):
    """Starts the kernel inside the sandbox, in `workdir`, and watches it until it stops."""

    workdir = Unicode(help="The fresh working copy the notebook runs in.").tag(config=True)
    readable = List(Unicode(), help="Folders besides the system runtime the kernel may read: the Python "
                                    "environment, dl4cv, the data.").tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.settings = Sandbox(config=self.config)
        self.isolation = choose_isolation(self.settings.isolation)
        self.transport = "ipc"  # Unix sockets in the working copy: they work without a network
        self.ip = str(Path(self.workdir) / ".kernel")
        self.connection_file = str(Path(self.workdir) / ".kernel.json")
        self._cgroup: Cgroup | None = None
        self._stop_watching = threading.Event()

    def format_kernel_cmd(self, extra_arguments=None) -> list[str]:
        kernel = super().format_kernel_cmd(extra_arguments)
        memory = self.settings.memory_mb << 20
        if Cgroup.available():
            self._cgroup = Cgroup(memory_bytes=memory, max_processes=self.settings.max_processes)
        launcher = [sys.executable, "-m", "dl4cv.course.sandbox", "--max-file-bytes", str(self.settings.max_file_mb << 20)]
        for procs in self._cgroup.procs_files if self._cgroup else []:
            launcher += ["--cgroup", procs]
        isolation = isolation_command(isolation=self.isolation, workdir=self.workdir, readable=list(self.readable),
                                      network=self.settings.network)  # fmt: skip
        return [*launcher, "--", *isolation, *kernel]

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        env = dict(kw.get("env") or os.environ)
        env.update(IPYTHONDIR=str(Path(self.workdir) / ".ipython"), MPLCONFIGDIR=str(Path(self.workdir) / ".matplotlib"))
        warmed = env.pop(MPL_CACHE_ENV, None)
        if warmed and Path(warmed).is_dir():  # saves every kernel rebuilding matplotlib's font list
            shutil.copytree(warmed, env["MPLCONFIGDIR"], dirs_exist_ok=True)
        kw["env"] = env
        kw.setdefault("stdout", subprocess.DEVNULL)  # the kernel's own banner; cell output goes over the sockets
        await super()._async_launch_kernel(kernel_cmd, **kw)
        process = getattr(self.provisioner, "process", None)
        if process is not None:
            threading.Thread(target=self._watch, args=(process.pid,), daemon=True).start()

    def _watch(self, pid: int) -> None:
        import psutil

        started, limit = time.monotonic(), self.settings.memory_mb << 20
        try:
            root = psutil.Process(pid)
        except psutil.NoSuchProcess:
            return
        while not self._stop_watching.wait(0.1):
            tree, threads, memory = [root], 0, 0
            try:
                tree += root.children(recursive=True)
                threads = sum(p.num_threads() for p in tree)
                used = self._cgroup.memory_used() if self._cgroup is not None else None
                # Without a cgroup, the sum of resident sizes (it counts shared pages once per process).
                memory = used if used is not None else sum(p.memory_info().rss for p in tree)
            except psutil.NoSuchProcess:
                pass
            reason = None
            if time.monotonic() - started > self.settings.notebook_timeout:
                reason = f"stopped: the notebook ran longer than {self.settings.notebook_timeout} s"
            elif threads >= self.settings.max_processes:
                reason = f"stopped: started more than {self.settings.max_processes} processes or threads"
            elif memory > 0.9 * limit:  # near the cap the kernel crawls (cache evicted) before it is killed
                reason = f"stopped: used more than {self.settings.memory_mb} MiB of memory"
            elif not root.is_running() or root.status() == psutil.STATUS_ZOMBIE:
                if self._cgroup is not None and self._cgroup.memory_exceeded():
                    _record(self.workdir, f"stopped: used more than {self.settings.memory_mb} MiB of memory")
                return
            if reason:
                _record(self.workdir, reason)
                for process in reversed(tree):
                    try:
                        process.kill()
                    except psutil.NoSuchProcess:
                        pass
                return

    async def _async_interrupt_kernel(self) -> None:
        """Interrupt by message: a signal to the sandbox's outer process would not reach the kernel,
        which runs in its own session; the kernel interrupts itself on request."""
        if self.has_kernel:
            self._connect_control_socket()
            self.session.send(self._control_socket, self.session.msg("interrupt_request", content={}))

    interrupt_kernel = _async_interrupt_kernel  # the base class binds its own at definition time

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        self._stop_watching.set()
        await super()._async_cleanup_resources(restart=restart)
        if self._cgroup is not None:
            if self._cgroup.memory_exceeded():
                _record(self.workdir, f"stopped: used more than {self.settings.memory_mb} MiB of memory")
            self._cgroup.remove()
            self._cgroup = None


# --------------------------------------------------------------------------- the launcher


def _launch(argv: list[str]) -> None:
    """`python -m dl4cv.course.sandbox [--max-file-bytes N] [--cgroup PROCS]... -- command...`:
    join the cgroups, set the rlimits, then become `command`."""
    cut = argv.index("--")
    options, command = argv[:cut], argv[cut + 1 :]
    for flag, value in zip(options[::2], options[1::2]):
        if flag == "--cgroup":
            Path(value).write_text(str(os.getpid()))
        elif flag == "--max-file-bytes":
            resource.setrlimit(resource.RLIMIT_FSIZE, (int(value), int(value)))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.execvp(command[0], command)


if __name__ == "__main__":
    _launch(sys.argv[1:])
