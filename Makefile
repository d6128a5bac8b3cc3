# Every target creates .venv with the pinned dependencies when it is missing (about 2 minutes the
# first time; later runs reuse it). PYTHON picks the interpreter that builds the venv.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
DL4CV  := $(VENV)/bin/dl4cv
STAMP  := $(VENV)/.installed-stamp
JOBS   ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: demo test release check bench doctor clean system system-test

## Debian packages (installed when missing and run as root; otherwise the command to run is printed):
## bubblewrap isolates grading kernels, dataset-fashion-mnist is the offline data, and the test suite
## starts a throw-away PostgreSQL server.
system:
	@scripts/system-packages bubblewrap dataset-fashion-mnist

system-test:
	@scripts/system-packages bubblewrap dataset-fashion-mnist postgresql

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[course,dev]'
	@touch $(STAMP)

## make demo: release a1, grade a simulated class in parallel, print the grade table and reports
demo: system $(STAMP)
	$(DL4CV) demo --jobs $(JOBS)

## make test: the whole test suite (notebooks in fast mode, pipeline end to end). --dist loadscope keeps
## each test module on one worker, so module-scoped grading fixtures run once (with pytest 9,
## xdist 3.8's loadgroup no longer groups: it ran the pipeline and adversarial batches on both workers)
test: system-test $(STAMP)
	DL4CV_OFFLINE=1 $(PY) -m pytest -n $(JOBS) --dist loadscope -q --durations=15

## make release: rebuild release/ from source/ for every assignment
release: $(STAMP)
	$(DL4CV) release

## make check: lint the course sources
check: $(STAMP)
	$(DL4CV) check

## make bench: measure speed, accuracy and grading throughput into benchmarks/RESULTS.md
bench: $(STAMP)
	$(PY) -m benchmarks.run

doctor: system $(STAMP)
	$(DL4CV) doctor

clean:
	rm -rf submitted/*/ autograded/*/ feedback/*/ reports/ gradebook.db
