#!/usr/bin/env bash
# Installs the protocol servers the object-storage tests start on loopback ports: moto's
# standalone S3 server (PyPI) and Azurite (npm; 3.35.0, the last that runs on Node 20), into
# .ci/services, where the tests look for them (or set MOTO_SERVER / AZURITE_BLOB). Idempotent.
set -euo pipefail
cd "$(dirname "$0")"
SVC="$PWD/services"
mkdir -p "$SVC"
[[ -x "$SVC/venv/bin/moto_server" ]] || {
  python3 -m venv "$SVC/venv"
  "$SVC/venv/bin/pip" install --quiet 'moto[server]==5.2.5'
}
[[ -x "$SVC/node_modules/.bin/azurite-blob" ]] ||
  (cd "$SVC" && npm install --no-audit --no-fund --silent azurite@3.35.0)
"$SVC/venv/bin/moto_server" --help >/dev/null
echo "moto_server: $SVC/venv/bin/moto_server"
echo "azurite-blob: $SVC/node_modules/.bin/azurite-blob"
