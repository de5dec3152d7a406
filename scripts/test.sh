#!/usr/bin/env bash
# Installs what the tests need (npm clients, the DuckDB library via the build) and runs every test.
# Usage: ./scripts/test.sh [extra dotnet test args]
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== installing real-client test dependencies (npm)"
# package-lock.json lists @databricks/sql's optional win32-x64 kernel without an entry of its own (the
# registry here has no such package), which `npm ci` rejects as out of sync; `npm install --no-save`
# installs the same locked versions and leaves the lock file alone.
(cd tests/clients && { npm ci --no-audit --no-fund --loglevel=error 2>/dev/null || {
  echo "npm ci refused the lock file; installing the locked versions with npm install --no-save"
  npm install --no-save --no-audit --no-fund --loglevel=error; }; })

echo "== building"
dotnet build Gateway.sln -c Release --nologo -v q

echo "== running tests"
dotnet test Gateway.sln -c Release --no-build --nologo "$@"
