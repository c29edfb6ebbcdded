# ovsim: two commands on a fresh machine with python3 (3.11+) and make.
#   make run    set up .venv if missing, run the reference OPTiM trial (results/optim/)
#   make test   set up .venv if missing, run the test suite
#   make constraints   regenerate constraints.txt (the lock file: exact versions the install uses) from .venv
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test clean validate-safety

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/ovsim trial

test: $(STAMP)
	$(BIN)/python -m pytest -q

validate-safety: $(STAMP)   # adverse-event incidences at 10x OPTiM on a fresh seed (~5 min on 2 cores)
	$(BIN)/python tools/calibrate_safety.py --validate

clean:
	rm -rf $(VENV) results .pytest_cache

.PHONY: fuzz
fuzz: $(STAMP)   # long input fuzz: 200 cases per surface (6 surfaces), counts in results/fuzz/ (docs/reliability.md)
	OVSIM_FUZZ=long $(BIN)/python -m pytest -q -s -p no:cacheprovider tests/test_fuzz.py -k fuzz_surface

.PHONY: predictions
predictions: $(STAMP)   # docs/predictions.md: 20 OPTiM-size trials (seeds 4001-4020), every uncalibrated quantity with its interval (20x the time of `make run`)
	$(BIN)/python tools/predictions_doc.py --runs 20 --workers 2

.PHONY: constraints
constraints:   # constraints.txt from the working .venv (after adding a dependency: pip install it, then this)
	printf '%s\n' "# Pinned versions of every package in the working environment (pip list --format=freeze --exclude-editable: name==version; without pip," \
	  "# setuptools, wheel). Used by 'make' (pip install -c constraints.txt); regenerate with 'make constraints'." > constraints.txt
	$(BIN)/python -m pip list --format=freeze --exclude-editable | grep -v -i -E '^(pip|setuptools|wheel)==' >> constraints.txt

.PHONY: check-report
check-report: $(STAMP)   # render results/optim/report.html in headless Chromium and print it to PDF (needs chromium; run `make run` first)
	$(BIN)/python tools/check_report.py results/optim/report.html --pdf results/optim/report.pdf
