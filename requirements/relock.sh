#!/usr/bin/env bash
# Re-resolve the whole dependency set in a fresh virtual environment and rewrite lock.txt.
# Run after a deliberate upgrade (e.g. a new checked torch/torchaudio pair in pyproject.toml and
# jepa_domains/compat.py), then run the test suite against the new lock before committing it.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install -q -e ".[test]"
{
  sed -n '/^#/p' requirements/lock.txt
  "$tmp/venv/bin/python" -m pip freeze --exclude-editable
} > "$tmp/lock.txt"
mv "$tmp/lock.txt" requirements/lock.txt
echo "requirements/lock.txt: $(grep -c '==' requirements/lock.txt) pins"
