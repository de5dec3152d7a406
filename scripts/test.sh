#!/usr/bin/env bash
# Installs what the tests need (npm clients, a TLS test certificate, a
# PostgreSQL server, an OpenLDAP server) and runs every test.
# Usage: ./scripts/test.sh [extra dotnet test args]
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== installing real-client test dependencies (npm)"
(cd tests/clients && npm ci --no-audit --no-fund --loglevel=error)

echo "== TLS test certificate (.cache/tls)"
tls_dir="$PWD/.cache/tls"
mkdir -p "$tls_dir"
if [ ! -s "$tls_dir/cert.pem" ] || [ ! -s "$tls_dir/key.pem" ] || ! openssl x509 -checkend 86400 -noout -in "$tls_dir/cert.pem" >/dev/null 2>&1; then
  # Self-signed, for localhost and 127.0.0.1; the tests trust exactly this certificate.
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 30 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -addext "extendedKeyUsage=serverAuth" \
    -keyout "$tls_dir/key.pem.tmp" -out "$tls_dir/cert.pem.tmp" 2>/dev/null
  chmod 600 "$tls_dir/key.pem.tmp"
  mv -f "$tls_dir/key.pem.tmp" "$tls_dir/key.pem"
  mv -f "$tls_dir/cert.pem.tmp" "$tls_dir/cert.pem"
fi
export GATEWAY_TEST_TLS_DIR="$tls_dir"

# Services a run starts are stopped when the run ends, however it ends (GATEWAY_KEEP_SERVICES=1, or the older
# GATEWAY_PG_KEEP=1, keeps them for the next run).
stop_on_exit=()
cleanup() { for s in "${stop_on_exit[@]}"; do "scripts/$s" stop >/dev/null 2>&1 || true; done; }
trap cleanup EXIT
keep="${GATEWAY_KEEP_SERVICES:-${GATEWAY_PG_KEEP:-}}"

echo "== PostgreSQL for the engine tests (.cache/postgres)"
# Installed from apt when missing; started unless it already runs.
scripts/postgres.sh status || { [ -n "$keep" ] || stop_on_exit+=(postgres.sh); }
GATEWAY_TEST_PG="$(scripts/postgres.sh start)"
export GATEWAY_TEST_PG

echo "== OpenLDAP (slapd) for the LDAP tests (.cache/ldap)"
# Installed from apt when missing; a fresh test directory (users, groups, a disabled account) each start.
scripts/ldap.sh status || { [ -n "$keep" ] || stop_on_exit+=(ldap.sh); }
GATEWAY_TEST_LDAP="$(scripts/ldap.sh start)"
export GATEWAY_TEST_LDAP

echo "== building"
dotnet build Gateway.sln -c Release --nologo -v q

echo "== running tests"
dotnet test Gateway.sln -c Release --no-build --nologo "$@"
