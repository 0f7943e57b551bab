#!/usr/bin/env bash
# The Python package's tests: the package installed with pip into a virtual environment (as a
# user installs it, through maturin), then pytest against its local server with the real
# `openai` package. CI builds the dev profile (MATURIN_PEP517_ARGS) to reuse `cargo test`'s
# build; a user's `pip install ./crates/uploads-py` builds release.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${OPENAI_UPLOADS_VENV:-$here/../../target/py-venv}
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check "maturin>=1.7,<2" "pytest>=7" "openai>=1.40" "tqdm>=4"
MATURIN_PEP517_ARGS=${MATURIN_PEP517_ARGS:---profile dev} \
  "$venv/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps "$here"
cd "$here/tests"
"$venv/bin/python" -m pytest -q .
