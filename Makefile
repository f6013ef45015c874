# Two commands on a fresh clone: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LOCALES := ru zh_Hans
POT := translations/ranger_app.pot
MO := $(foreach l,$(LOCALES),translations/$(l)/LC_MESSAGES/ranger_app.mo)

.PHONY: run test lint catalogs extract update-catalogs screenshots bench demo clean package package-test

run: $(STAMP) catalogs
	$(BIN)/ranger-app

test: $(STAMP) catalogs
	$(BIN)/ruff check ranger_app tests bench packaging
	$(BIN)/lint-imports
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest
	$(MAKE) package  # the frozen app and its smoke test: about a minute

lint: $(STAMP)
	$(BIN)/ruff check ranger_app tests bench packaging
	$(BIN)/lint-imports

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# --- translations (gettext via Babel; English is the source language) -------------------------
catalogs: $(MO)

translations/%/LC_MESSAGES/ranger_app.mo: translations/%/LC_MESSAGES/ranger_app.po $(STAMP)
	$(BIN)/pybabel compile --statistics -d translations -D ranger_app -l $* 2>&1 | tail -n 1

extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _ -k N_ -k ngettext:1,2 -k pgettext:1c,2 \
	  --no-location --sort-output --project "Ranger Field Log" -o $(POT) ranger_app

update-catalogs: extract
	$(BIN)/pybabel update -i $(POT) -d translations -D ranger_app --no-fuzzy-matching

# --- looking and measuring ---------------------------------------------------------------------
screenshots: $(STAMP) catalogs
	$(BIN)/python docs/make_screenshots.py

bench: $(STAMP) catalogs
	$(BIN)/python bench/gpx_import.py
	$(BIN)/python bench/startup.py

# --- the one-folder app (PyInstaller): dist/ranger-app/, see packaging/README.md ---------------
package: $(STAMP) catalogs
	$(BIN)/python -c "import PyInstaller" 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[package]'
	$(BIN)/python packaging/build.py

package-test:
	$(PYTHON) packaging/smoke_test.py

clean:
	rm -rf build dist $(MO)
