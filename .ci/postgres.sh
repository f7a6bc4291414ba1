#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests, on loopback only, run by a non-root user (initdb refuses root).
#   .ci/postgres.sh start DIR   initdb + pg_ctl start in DIR; prints the DSN (postgresql://…) on stdout
#   .ci/postgres.sh stop DIR    stops it (the caller removes DIR)
# With INSTALL=1 it installs the distribution's packages (apt-get install postgresql) when no server is found.
# fsync is off: the cluster is thrown away, and durability is not what the tests measure.
set -euo pipefail

action=${1:?start or stop}
dir=${2:?a directory for the cluster}

find_bindir() {
    local candidate
    candidate=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -n "$candidate" && -x "$candidate/initdb" ]]; then echo "$candidate"; return; fi
    if command -v pg_ctl >/dev/null && command -v initdb >/dev/null; then dirname "$(command -v pg_ctl)"; fi
}

as_owner() {
    # From /: the caller's folder may be closed to the cluster's owner (psql and pg_ctl would say so).
    if [[ $EUID -eq 0 ]]; then (cd / && runuser -u "$owner" -- "$@"); else "$@"; fi
}

owner=$(id -un)
if [[ $EUID -eq 0 ]]; then
    owner=postgres
    id -u "$owner" >/dev/null 2>&1 || owner=pgtest
    id -u "$owner" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$owner"
fi

bindir=$(find_bindir)
case "$action" in
start)
    if [[ -z "$bindir" ]]; then
        if [[ "${INSTALL:-0}" != 1 ]]; then echo "no PostgreSQL server binaries found" >&2; exit 1; fi
        echo "installing PostgreSQL from the distribution's packages" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >&2
        apt-get install -y -qq postgresql >&2
        bindir=$(find_bindir)
        if [[ $EUID -eq 0 ]] && id -u postgres >/dev/null 2>&1; then owner=postgres; fi
    fi
    mkdir -p "$dir"
    [[ $EUID -eq 0 ]] && chown "$owner" "$dir"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$bindir/initdb" -D "$dir/data" -U narrative --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=300" \
        start >&2 || { cat "$dir/server.log" >&2; exit 1; }
    echo "postgresql://narrative@127.0.0.1:$port/postgres"
    ;;
stop)
    if [[ -n "$bindir" && -d "$dir/data" ]]; then
        as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >&2 || true
    fi
    ;;
*)
    echo "usage: $0 start|stop DIR" >&2; exit 2
    ;;
esac
