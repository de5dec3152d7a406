#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests: installed from apt when missing, one cluster under
# .cache/postgres (gitignored), listening on 127.0.0.1 only, password (SCRAM) auth.
#
#   scripts/postgres.sh [start]   ensure installed, initialised and running; prints the Npgsql
#                                 connection string (and nothing else) on stdout. Idempotent: when the
#                                 cluster already runs it only checks it answers (well under a second).
#   scripts/postgres.sh stop      fast shutdown (pg_ctl -m fast); a no-op when it is not running
#   scripts/postgres.sh status    exit 0 when the cluster runs and accepts connections
#
# Environment: GATEWAY_PG_DIR (default <repo>/.cache/postgres), GATEWAY_PG_PORT (default 55432; the
# next free port is taken when it is busy). Diagnostics go to stderr; the server log is
# <dir>/run/postgres.log.
#
# The server never holds the caller's pipes: pg_ctl starts it in its own session with stdin from
# /dev/null and output to the log, and the lock descriptor is closed for it. So `x=$(postgres.sh)` and
# `test.sh | tee` return as soon as the script does, and a CI run cannot hang on the server.
# PostgreSQL refuses to run as root: as root the cluster belongs to the `postgres` system user the
# Debian package creates (created here when missing), otherwise to the calling user.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
base="${GATEWAY_PG_DIR:-$repo/.cache/postgres}"
action="${1:-start}"
db_user=gateway
db_password=gateway-test
db_name=gateway_test

log() { echo "postgres.sh: $*" >&2; }
die() { log "$*"; exit 1; }

find_bindir() {
  local d best
  # The glob sorts lexically (10 < 9): pick the highest major version numerically.
  best="$(for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && echo "$d"; done | sort -t/ -k5,5n | tail -1)"
  [ -n "$best" ] && echo "$best"
}

install_postgres() {
  [ "$(id -u)" = 0 ] || die "PostgreSQL is not installed and this is not root: install the Debian package 'postgresql'."
  log "installing PostgreSQL from apt"
  # No 'main' cluster on 5432: the tests use their own cluster, nothing should start behind their back.
  mkdir -p /etc/postgresql-common
  if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
    echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq -o Dpkg::Options::=--force-confold postgresql >&2
}

bindir="$(find_bindir || true)"
if [ -z "$bindir" ]; then
  [ "$action" = start ] || { [ "$action" = status ] && exit 1; exit 0; }
  install_postgres
  bindir="$(find_bindir || true)"
  [ -n "$bindir" ] || die "PostgreSQL was installed but no initdb was found under /usr/lib/postgresql."
fi

# Who owns and runs the cluster.
if [ "$(id -u)" = 0 ]; then
  owner=postgres
  if ! id -u "$owner" >/dev/null 2>&1; then
    log "creating system user $owner"
    useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$owner"
  fi
  as_owner() { runuser -u "$owner" -- "$@"; }
else
  owner="$(id -un)"
  as_owner() { "$@"; }
fi

mkdir -p "$base"
exec 9>"$base/lock"
flock 9

# The cluster lives in <base>/run, owned by the cluster's user. When that user cannot reach it (a
# repository under a private home folder), it lives in a private folder under /tmp, named in <base>/rundir.
run="$base/run"
if [ -s "$base/rundir" ]; then
  run="$(cat "$base/rundir")"
fi
mkdir -p "$run"
if [ "$(id -u)" = 0 ]; then
  chown "$owner:" "$run"
  if ! as_owner test -w "$run"; then
    run="/tmp/gateway-postgres-$(echo -n "$base" | cksum | cut -d' ' -f1)"
    mkdir -p "$run"
    chown "$owner:" "$run"
    chmod 700 "$run"
    echo "$run" > "$base/rundir"
    log "$owner cannot reach $base; the cluster lives in $run"
  fi
fi
data="$run/data"
logfile="$run/postgres.log"
portfile="$base/port"

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

connection_string() {
  echo "Host=127.0.0.1;Port=$(cat "$portfile");Username=$db_user;Password=$db_password;Database=$db_name"
}

is_running() {
  [ -f "$data/postmaster.pid" ] && as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1
}

is_ready() {
  [ -s "$portfile" ] && "$bindir/pg_isready" -q -h 127.0.0.1 -p "$(cat "$portfile")" -d postgres -t 5 >/dev/null 2>&1
}

case "$action" in
  status)
    is_running && is_ready
    exit
    ;;
  stop)
    if is_running; then
      as_owner "$bindir/pg_ctl" -D "$data" -m fast -w -t 60 stop 9>&- </dev/null >&2
    fi
    exit 0
    ;;
  start) ;;
  *) die "usage: $0 [start|stop|status]" ;;
esac

if is_running && is_ready; then
  connection_string
  exit 0
fi

if [ ! -f "$data/PG_VERSION" ]; then
  log "initialising a cluster in $data ($("$bindir/postgres" --version))"
  rm -rf "$data" "$data.tmp"
  pwfile="$run/pwfile"
  echo "$db_password" > "$pwfile"
  chmod 600 "$pwfile"
  [ "$(id -u)" = 0 ] && chown "$owner:" "$pwfile"
  # Into a temporary folder first: an interrupted initdb never leaves a half-made cluster behind.
  as_owner "$bindir/initdb" -D "$data.tmp" -U "$db_user" --pwfile="$pwfile" -E UTF8 --no-locale \
    --auth-host=scram-sha-256 --auth-local=trust >"$run/initdb.log" 2>&1 \
    || { cat "$run/initdb.log" >&2; die "initdb failed"; }
  rm -f "$pwfile"
  # A test cluster: durability is not wanted, speed is.
  cat >>"$data.tmp/postgresql.conf" <<'EOF'

# scripts/postgres.sh
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = 200
shared_buffers = 128MB
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
log_min_error_statement = panic
EOF
  as_owner mv "$data.tmp" "$data"
  rm -f "$portfile"
fi

# A pid file left by a server that died with its machine (the pid may since belong to something else).
if [ -f "$data/postmaster.pid" ] && ! is_running; then
  pid="$(head -1 "$data/postmaster.pid")"
  if ! [ -r "/proc/$pid/comm" ] || [ "$(cat "/proc/$pid/comm")" != postgres ]; then
    log "removing a stale postmaster.pid"
    rm -f "$data/postmaster.pid"
  fi
fi

if ! is_running; then
  port="$(cat "$portfile" 2>/dev/null || echo "${GATEWAY_PG_PORT:-55432}")"
  tries=0
  started=0
  # Another server may take a port between the check and the bind (parallel runs on one machine): then the next port.
  while [ "$started" = 0 ]; do
    while port_busy "$port"; do
      tries=$((tries + 1))
      [ "$tries" -lt 200 ] || die "no free port found from ${GATEWAY_PG_PORT:-55432}"
      port=$((port + 1))
    done
    echo "$port" > "$portfile"
    log "starting PostgreSQL on 127.0.0.1:$port"
    logged=0
    [ ! -f "$logfile" ] || logged="$(wc -l < "$logfile")"
    if as_owner "$bindir/pg_ctl" -D "$data" -l "$logfile" -o "-p $port" -w -t 60 start 9>&- </dev/null >&2; then
      started=1
    elif tail -n +"$((logged + 1))" "$logfile" 2>/dev/null | grep -q "Address already in use" && [ "$tries" -lt 200 ]; then
      log "port $port was taken meanwhile; trying the next one"
      tries=$((tries + 1))
      port=$((port + 1))
    else
      tail -20 "$logfile" >&2 || true
      die "the server did not start"
    fi
  done
fi

for _ in $(seq 1 100); do
  is_ready && break
  sleep 0.1
done
is_ready || { tail -20 "$logfile" >&2 || true; die "the server does not accept connections on port $(cat "$portfile")"; }

export PGPASSWORD="$db_password"
psql_admin() { "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$(cat "$portfile")" -U "$db_user" -d postgres "$@"; }
if [ "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$db_name'")" != 1 ]; then
  psql_admin -c "CREATE DATABASE $db_name" >&2
fi
connection_string
