#!/usr/bin/env bash
# Installs what the tests need (npm clients, the DuckDB library via the build) and runs every test.
# Usage: ./scripts/test.sh [extra dotnet test args]
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== installing real-client test dependencies (npm)"
(cd tests/clients && npm ci --no-audit --no-fund --loglevel=error)

echo "== building"
dotnet build Gateway.sln -c Release --nologo -v q

echo "== running tests"
dotnet test Gateway.sln -c Release --no-build --nologo "$@"
