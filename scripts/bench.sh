#!/usr/bin/env bash
# The end-to-end load driver: builds in Release, starts the benchmark PostgreSQL the way scripts/test.sh does
# (scripts/postgres.sh, .cache/postgres), raises its max_connections for concurrency 256, and runs
#   dotnet benchmarks/bin/Release/net10.0/Gateway.Benchmarks.dll load [options]
# which starts the gateway as a separate process and writes benchmarks/results/load-<utc>.md.
# Usage: ./scripts/bench.sh [--small] [--scenarios fetch,latency,sessions,streaming,fairness] [... see --help]
# Not part of CI: it runs for about a quarter of an hour at full scale and needs the machine to itself.
set -euo pipefail
cd "$(dirname "$0")/.."

# --help prints the options and touches nothing: no build, no PostgreSQL restart (a test run may be using both).
for arg in "$@"; do
  if [ "$arg" = "--help" ] || [ "$arg" = "-h" ]; then
    [ -f benchmarks/bin/Release/net10.0/Gateway.Benchmarks.dll ] || dotnet build benchmarks -c Release --nologo -v q
    exec dotnet benchmarks/bin/Release/net10.0/Gateway.Benchmarks.dll load --help
  fi
done

if [ -z "${BENCH_NO_BUILD:-}" ]; then
  echo "== building (Release)"
  dotnet build Gateway.sln -c Release --nologo -v q
fi

echo "== PostgreSQL (.cache/postgres)"
pg_was_running=0
scripts/postgres.sh status && pg_was_running=1
GATEWAY_TEST_PG="$(scripts/postgres.sh start)"
export GATEWAY_TEST_PG
if [ "$pg_was_running" = 0 ] && [ -z "${GATEWAY_PG_KEEP:-}" ]; then
  trap 'scripts/postgres.sh stop >/dev/null 2>&1 || true' EXIT
fi

# The latency scenario holds up to 256 connections at once; the test cluster allows 200.
bindir="$(for d in /usr/lib/postgresql/*/bin; do [ -x "$d/psql" ] && echo "$d"; done | sort -t/ -k5,5n | tail -1)"
port="$(sed -E 's/.*Port=([0-9]+).*/\1/' <<<"$GATEWAY_TEST_PG")"
psql_bench() { PGPASSWORD=gateway-test "$bindir/psql" -X -q -tA -h 127.0.0.1 -p "$port" -U gateway -d postgres "$@"; }
if [ "$(psql_bench -c 'SHOW max_connections')" -lt 300 ]; then
  echo "== raising PostgreSQL max_connections to 300 (restart)"
  psql_bench -c "ALTER SYSTEM SET max_connections = 300" >/dev/null
  scripts/postgres.sh stop
  GATEWAY_TEST_PG="$(scripts/postgres.sh start)"
  export GATEWAY_TEST_PG
fi

echo "== load driver"
exec_status=0
dotnet benchmarks/bin/Release/net10.0/Gateway.Benchmarks.dll load "$@" || exec_status=$?
exit "$exec_status"
