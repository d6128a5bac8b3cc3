"""Kernel-side code shared by the sandbox and adversarial tests: the places a hostile kernel
searches for a way to the course. Prepend `SEARCH` to a cell or module, then call its functions."""

SEARCH = r'''
import glob, os

def proc_starts():
    """Paths named by every process the kernel can see: folders, environments, command lines."""
    found = []
    for proc in glob.glob("/proc/[0-9]*"):
        for name in ("cwd", "root", "exe"):
            try:
                found.append(os.readlink(f"{proc}/{name}"))
            except OSError:
                pass
        for name in ("environ", "cmdline"):
            try:
                found += open(f"{proc}/{name}", "rb").read().replace(b"=", b"\0").decode(errors="ignore").split("\0")
            except OSError:
                pass
    return found

def everything():
    """Every folder of the filesystem the kernel sees, but the kernel's own /proc, /sys, /dev and /usr,
    and the insides of Python environments, caches and git stores, which hold no course (a thief who
    walks them too runs out of time on a busy machine before finding anything). Temporary folders
    and homes come first, as a thief would search them: that is where graders work, and the walk of
    the rest grows with whatever else the machine holds."""
    skipped = {".venv", "site-packages", ".git", "__pycache__", ".cache", "node_modules"}
    first = [folder for folder in ("/tmp", "/var/tmp", "/home") if os.path.isdir(folder)]
    for start in [*first, "/"]:
        for top, dirs, _ in os.walk(start):
            dirs[:] = [d for d in dirs if d not in skipped
                       and os.path.join(top, d) not in ("/proc", "/sys", "/dev", "/usr", *first)]
            yield top
'''
