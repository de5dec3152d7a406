#!/usr/bin/env bash
# A throwaway OpenLDAP directory for the LDAP tests: slapd installed from apt when missing, one server under
# .cache/ldap (gitignored) on 127.0.0.1 (ldap:// with StartTLS, and ldaps://), loaded with a test directory:
#
#   dc=example,dc=com
#     ou=people   alice (finance, analysts), bob (ops), carol (disabled: her password never binds),
#                 svc-gateway (the service account for search-then-bind)
#     ou=groups   finance, analysts, ops (groupOfNames; the memberof overlay gives people memberOf)
#
#   scripts/ldap.sh [start]   ensure installed, loaded and running; prints "ldap://127.0.0.1:PORT ldaps://127.0.0.1:PORT2 CA_DIR"
#                             on stdout and nothing else (CA_DIR: an OpenSSL-hashed folder trusting the server). Idempotent.
#   scripts/ldap.sh stop      stop the server
#   scripts/ldap.sh status    exit 0 when it runs and answers
#
# Passwords: each user's is "<name>-ldap-pw"; the directory manager (cn=admin,dc=example,dc=com) is "admin-ldap-pw".
# TLS uses the test certificate in GATEWAY_TEST_TLS_DIR (cert.pem, key.pem), which scripts/test.sh makes first.
# Like postgres.sh, the server never holds the caller's pipes (stdin /dev/null, output to the log).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
base="${GATEWAY_LDAP_DIR:-$repo/.cache/ldap}"
action="${1:-start}"
suffix="dc=example,dc=com"
tls_dir="${GATEWAY_TEST_TLS_DIR:-$repo/.cache/tls}"

log() { echo "ldap.sh: $*" >&2; }
die() { log "$*"; exit 1; }

install_slapd() {
  [ "$(id -u)" = 0 ] || die "slapd is not installed and this is not root: install the Debian packages 'slapd' and 'ldap-utils'."
  log "installing slapd and ldap-utils from apt"
  export DEBIAN_FRONTEND=noninteractive
  # The package's own server is neither configured nor started: the tests run their own.
  echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
  apt-get update -qq >&2
  apt-get install -y -qq -o Dpkg::Options::=--force-confold slapd ldap-utils >&2
  service slapd stop >/dev/null 2>&1 || true
}

if ! command -v slapd >/dev/null 2>&1 && [ ! -x /usr/sbin/slapd ]; then
  [ "$action" = start ] || { [ "$action" = status ] && exit 1; exit 0; }
  install_slapd
fi
slapd_bin="$(command -v slapd || echo /usr/sbin/slapd)"
slapadd_bin="$(command -v slapadd || echo /usr/sbin/slapadd)"

mkdir -p "$base"
exec 9>"$base/lock"
flock 9
run="$base/run"
pidfile="$run/slapd.pid"
portfile="$base/ports"

is_running() { [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }
urls() { read -r p1 p2 < "$portfile"; echo "ldap://127.0.0.1:$p1 ldaps://127.0.0.1:$p2 $run/ca"; }
is_ready() {
  [ -s "$portfile" ] || return 1
  read -r p1 _ < "$portfile"
  ldapwhoami -x -H "ldap://127.0.0.1:$p1" -D "cn=admin,$suffix" -w admin-ldap-pw >/dev/null 2>&1
}
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

case "$action" in
  status) is_running && is_ready; exit ;;
  stop)
    if is_running; then kill "$(cat "$pidfile")" 2>/dev/null || true; fi
    for _ in $(seq 1 50); do is_running || break; sleep 0.1; done
    exit 0
    ;;
  start) ;;
  *) die "usage: $0 [start|stop|status]" ;;
esac

if is_running && is_ready; then urls; exit 0; fi

[ -s "$tls_dir/cert.pem" ] && [ -s "$tls_dir/key.pem" ] || die "no test certificate in $tls_dir (scripts/test.sh makes it)"

# A fresh directory every start: the tests may lock accounts or change nothing; either way they start from this.
rm -rf "$run"
mkdir -p "$run/db"
cp "$tls_dir/cert.pem" "$run/cert.pem"
cp "$tls_dir/key.pem" "$run/key.pem"
chmod 600 "$run/key.pem"
# The test certificate is its own CA: an OpenSSL-hashed folder holding it is what clients trust (TLS_CACERTDIR).
mkdir -p "$run/ca"
cp "$run/cert.pem" "$run/ca/$(openssl x509 -hash -noout -in "$run/cert.pem").0"
hash() { slappasswd -s "$1"; }

cat > "$run/slapd.conf" <<EOF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
pidfile $pidfile
argsfile $run/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
TLSCertificateFile $run/cert.pem
TLSCertificateKeyFile $run/key.pem
database mdb
maxsize 104857600
suffix "$suffix"
rootdn "cn=admin,$suffix"
rootpw $(hash admin-ldap-pw)
directory $run/db
overlay memberof
memberof-group-oc groupOfNames
memberof-member-ad member
memberof-memberof-ad memberOf
memberof-refint true
# carol is disabled: nobody, carol included, may authenticate with her password.
access to dn.exact="uid=carol,ou=people,$suffix" attrs=userPassword by * none
access to attrs=userPassword by self write by anonymous auth by * none
access to * by * read
EOF
"$slapd_bin" -Tt -u -f "$run/slapd.conf" >"$run/slaptest.log" 2>&1 || { cat "$run/slaptest.log" >&2; die "slapd.conf does not check"; }

person() {
  cat <<EOF
dn: uid=$1,ou=people,$suffix
objectClass: inetOrgPerson
uid: $1
cn: $2
sn: $3
mail: $1@example.com
userPassword: $(hash "$1-ldap-pw")

EOF
}
{
  cat <<EOF
dn: $suffix
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ou=people,$suffix
objectClass: organizationalUnit
ou: people

dn: ou=groups,$suffix
objectClass: organizationalUnit
ou: groups

EOF
  person alice "Alice Liddell" Liddell
  person bob "Bob Builder" Builder
  person carol "Carol Disabled" Disabled
  person svc-gateway "Gateway Service" Service
} > "$run/base.ldif"
"$slapadd_bin" -f "$run/slapd.conf" -l "$run/base.ldif" >"$run/slapadd.log" 2>&1 || { cat "$run/slapadd.log" >&2; die "slapadd failed"; }

# Ports: the first free pair from 55389.
p1="${GATEWAY_LDAP_PORT:-55389}"
while port_busy "$p1" || port_busy "$((p1 + 1))"; do p1=$((p1 + 2)); done
p2=$((p1 + 1))
echo "$p1 $p2" > "$portfile"
log "starting slapd on ldap://127.0.0.1:$p1 and ldaps://127.0.0.1:$p2"
setsid "$slapd_bin" -f "$run/slapd.conf" -h "ldap://127.0.0.1:$p1/ ldaps://127.0.0.1:$p2/" -d 0 </dev/null >"$run/slapd.log" 2>&1 9>&- &
for _ in $(seq 1 100); do is_ready && break; sleep 0.1; done
is_ready || { tail -20 "$run/slapd.log" >&2 || true; die "slapd does not answer"; }

# Groups after the start, through the server, so the memberof overlay writes memberOf on the people.
group() {
  local name="$1"; shift
  echo "dn: cn=$name,ou=groups,$suffix"
  echo "objectClass: groupOfNames"
  echo "cn: $name"
  for m in "$@"; do echo "member: uid=$m,ou=people,$suffix"; done
  echo
}
{ group finance alice; group analysts alice; group ops bob carol; } > "$run/groups.ldif"
ldapadd -x -H "ldap://127.0.0.1:$p1" -D "cn=admin,$suffix" -w admin-ldap-pw -f "$run/groups.ldif" >"$run/ldapadd.log" 2>&1 \
  || { cat "$run/ldapadd.log" >&2; die "loading the groups failed"; }
urls
