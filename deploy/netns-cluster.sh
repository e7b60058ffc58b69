#!/usr/bin/env bash
# Topup as separate hosts on one machine: network namespaces joined by a bridge, each "host"
# with its own address, hostname, processes and data directory; nothing shared but the network.
#
#   deploy/netns-cluster.sh demo [LOAD OPTIONS]   up, load (web1 killed mid-run), checks, down
#   deploy/netns-cluster.sh up        start every host (refuses when a cluster is up)
#   deploy/netns-cluster.sh load [LOAD OPTIONS]   LOAD OPTIONS (deploy/cluster_load.py):
#       --duration S (60)  --kill-at S (25; 0: no kill)  --kill-mode process|link  --threads N (6)
#   deploy/netns-cluster.sh kill-web N [--link]   SIGKILL every process of web host N
#                                 (--link: cut its network link instead)
#   deploy/netns-cluster.sh exec HOST CMD...      run CMD on HOST, with the hosts' settings
#   deploy/netns-cluster.sh status | cpu | down
#
# Hosts (bridge topup-br0, 10.77.0.0/24; this machine is 10.77.0.1, the load generator's side):
#   db 10.77.0.2       PostgreSQL primary (pg_ctl, as user postgres), scram passwords
#   standby 10.77.0.3  PostgreSQL streaming standby (pg_basebackup -R, replication slot)
#   lb 10.77.0.10:8000 load balancer (deploy/lb.py): round robin, /healthz checks; the public URL
#   web1 10.77.0.11, web2 10.77.0.12   `topup serve` (gunicorn, WEB_WORKERS processes each)
#   worker 10.77.0.21  TASK_WORKERS x `topup worker`
# Every application host gets the same settings (one env file: database URL, fresh secrets,
# public URL, allowed hosts) and a data directory of its own. Needs root, iproute2, unshare,
# PostgreSQL server binaries (PG_BIN) and the project's virtualenv (TOPUP_VENV).
# State (logs, databases, pids) lives in TOPUP_NETNS_DIR (default /tmp/topup-netns); `down`
# removes it with the namespaces, the bridge and every process; `demo` runs `down` on any exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SCRIPT="$ROOT/deploy/$(basename "${BASH_SOURCE[0]}")"
STATE=${TOPUP_NETNS_DIR:-/tmp/topup-netns}
VENV=${TOPUP_VENV:-$ROOT/.venv}
PG_BIN=${PG_BIN:-$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)}
WEB_WORKERS=${WEB_WORKERS:-2}
TASK_WORKERS=${TASK_WORKERS:-2}
NS_PREFIX=topup
BRIDGE=topup-br0
NET=10.77.0
PORT=8000
PG_PORT=5432
HOSTS=(db standby lb web1 web2 worker)
declare -A ADDRESS=([db]=2 [standby]=3 [lb]=10 [web1]=11 [web2]=12 [worker]=21)
START_TIMEOUT_S=60
TEAR_DOWN=never # on exit: never | on-failure (while `up` runs) | always (`demo`)

say() { printf '%s netns-cluster: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }
ns() { printf '%s-%s' "$NS_PREFIX" "$1"; }
ip_of() { printf '%s.%s' "$NET" "${ADDRESS[$1]}"; }
as_postgres() { runuser -u postgres -- "$@"; }

require() {
    [[ $(id -u) -eq 0 ]] || die "needs root (network namespaces, veth pairs, a bridge)"
    for tool in ip unshare setsid runuser curl; do
        command -v "$tool" >/dev/null || die "missing $tool"
    done
    [[ -x $PG_BIN/pg_ctl ]] || die "no PostgreSQL server binaries (set PG_BIN)"
    [[ -x $VENV/bin/topup ]] || die "no virtualenv with topup at $VENV (set TOPUP_VENV)"
}

# --- the network ---------------------------------------------------------------------------------

net_up() {
    ip link add "$BRIDGE" type bridge
    ip addr add "$NET.1/24" dev "$BRIDGE"
    ip link set "$BRIDGE" up
    local host
    for host in "${HOSTS[@]}"; do
        ip netns add "$(ns "$host")"
        # One veth pair per host: one end on the bridge, the other the host's eth0.
        ip link add "tpv-$host" type veth peer name eth0 netns "$(ns "$host")"
        ip link set "tpv-$host" master "$BRIDGE" up
        ip -n "$(ns "$host")" addr add "$(ip_of "$host")/24" dev eth0
        ip -n "$(ns "$host")" link set eth0 up
        ip -n "$(ns "$host")" link set lo up
    done
}

net_down() {
    local host
    for host in "${HOSTS[@]}"; do
        ip netns del "$(ns "$host")" 2>/dev/null || true
        ip link del "tpv-$host" 2>/dev/null || true
    done
    ip link del "$BRIDGE" 2>/dev/null || true
}

# --- processes on a host ----------------------------------------------------------------------

# The environment of an application process: the shared settings, this host's own data dir.
host_env() {
    local host=$1
    local -a settings
    mapfile -t settings < "$STATE/cluster.env"
    printf '%s\0' env -i "PATH=$VENV/bin:/usr/local/bin:/usr/bin:/bin" "HOME=$STATE/$host" \
        "LANG=C.UTF-8" "TOPUP_DATA_DIR=$STATE/$host/data" "${settings[@]}"
}

# Run a command in HOST's namespace under HOST's hostname (its own UTS namespace).
host_run() {
    local host=$1
    shift
    local -a envv
    mapfile -d '' -t envv < <(host_env "$host")
    ip netns exec "$(ns "$host")" unshare --uts \
        sh -c 'hostname "$0" && exec "$@"' "$host" "${envv[@]}" "$@"
}

# Start a long-running process on HOST in a session of its own; its pid (the final exec'd
# process, a session and process group leader) goes to $STATE/HOST/NAME.pid.
host_spawn() {
    local host=$1 name=$2
    shift 2
    local -a envv
    mapfile -d '' -t envv < <(host_env "$host")
    mkdir -p "$STATE/$host/data"
    setsid ip netns exec "$(ns "$host")" unshare --uts \
        sh -c 'echo $$ > "$0"; hostname "$1" && shift && exec "$@"' \
        "$STATE/$host/$name.pid" "$host" "${envv[@]}" "$@" \
        >> "$STATE/$host/$name.log" 2>&1 < /dev/null &
    disown # its death (a kill-web) is no news to this shell
}

# Wait until URL answers 2xx; give up at once when the process in PIDFILE has exited.
wait_http() {
    local url=$1 what=$2 pidfile=${3:-} deadline=$((SECONDS + START_TIMEOUT_S))
    until curl -fs -o /dev/null --max-time 2 "$url"; do
        if [[ -n $pidfile ]] && ! kill -0 "$(cat "$pidfile" 2>/dev/null || echo 0)" 2>/dev/null; then
            tail -n 20 "${pidfile%.pid}.log" >&2 || true
            die "$what exited (log: ${pidfile%.pid}.log)"
        fi
        ((SECONDS < deadline)) || die "$what did not answer at $url"
        sleep 0.3
    done
}

# --- PostgreSQL: primary and streaming standby --------------------------------------------------

pg_options() {
    local host=$1
    printf '%s' "-c listen_addresses=$(ip_of "$host") -p $PG_PORT -k $STATE/$host"
}

pg_ctl_on() {
    local host=$1
    shift
    ip netns exec "$(ns "$host")" runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$STATE/$host/data" "$@"
}

db_up() {
    local db_password=$1 replication_password=$2
    mkdir -p "$STATE/db" "$STATE/standby"
    chown postgres: "$STATE/db" "$STATE/standby"
    as_postgres "$PG_BIN/initdb" -D "$STATE/db/data" -U postgres -E UTF8 \
        --auth-local=trust --auth-host=scram-sha-256 > "$STATE/db/initdb.log"
    cat >> "$STATE/db/data/pg_hba.conf" <<EOF
host all all $NET.0/24 scram-sha-256
host replication replicator $NET.0/24 scram-sha-256
EOF
    # A host that vanishes (power, network) leaves no FIN: keepalives find its sessions within
    # about 25 s, and a session idle inside a transaction may hold row locks for 30 s at most.
    cat >> "$STATE/db/data/postgresql.conf" <<EOF
max_connections = 100
tcp_keepalives_idle = 10
tcp_keepalives_interval = 5
tcp_keepalives_count = 3
idle_in_transaction_session_timeout = '30s'
EOF
    pg_ctl_on db -l "$STATE/db/server.log" -o "$(pg_options db)" -w start > /dev/null
    as_postgres "$PG_BIN/psql" -h "$STATE/db" -p "$PG_PORT" -U postgres -q -v ON_ERROR_STOP=1 <<EOF
CREATE ROLE topup LOGIN PASSWORD '$db_password';
CREATE DATABASE topup OWNER topup;
CREATE ROLE replicator REPLICATION LOGIN PASSWORD '$replication_password';
EOF
    say "db: PostgreSQL primary on $(ip_of db):$PG_PORT"
    # The standby copies the primary over the network and streams from it through a slot.
    ip netns exec "$(ns standby)" runuser -u postgres -- env PGPASSWORD="$replication_password" \
        "$PG_BIN/pg_basebackup" -h "$(ip_of db)" -p "$PG_PORT" -U replicator \
        -D "$STATE/standby/data" -R -X stream -C -S standby1 -c fast > "$STATE/standby/basebackup.log" 2>&1
    pg_ctl_on standby -l "$STATE/standby/server.log" -o "$(pg_options standby)" -w start > /dev/null
    say "standby: PostgreSQL hot standby on $(ip_of standby):$PG_PORT, streaming from db"
}

db_down() {
    local host
    for host in standby db; do
        if [[ -f $STATE/$host/data/postmaster.pid ]]; then
            pg_ctl_on "$host" -m fast -w stop > /dev/null 2>&1 || true
        fi
    done
}

# --- the cluster ------------------------------------------------------------------------------

secret() { "$VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(36))'; }
fernet_key() { "$VENV/bin/python" -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'; }

settings_write() {
    local db_password=$1
    umask 077
    cat > "$STATE/cluster.env" <<EOF
DATABASE_URL=postgres://topup:$db_password@$(ip_of db):$PG_PORT/topup
TOPUP_SECRET_KEY=$(secret)
TOPUP_FIELD_ENCRYPTION_KEYS=$(fernet_key)
TOPUP_SIMULATOR_WEBHOOK_SECRET=$(secret)
TOPUP_IDP_CLIENT_SECRET=$(secret)
TOPUP_LOOKUP_HASH_KEY=$(secret)
TOPUP_PUBLIC_URL=http://$(ip_of lb):$PORT
TOPUP_ALLOWED_HOSTS=$(ip_of lb),$(ip_of web1),$(ip_of web2)
TOPUP_DEBUG=0
TOPUP_LOG_LEVEL=WARNING
TOPUP_ORDER_TTL_S=15
DJANGO_SETTINGS_MODULE=topup.config.settings
PYTHONPATH=$ROOT
PYTHONDONTWRITEBYTECODE=1
EOF
    cat > "$STATE/rig.env" <<EOF
DATABASE_URL=postgres://topup:$db_password@$(ip_of db):$PG_PORT/topup
STANDBY_URL=postgres://topup:$db_password@$(ip_of standby):$PG_PORT/topup
LB_URL=http://$(ip_of lb):$PORT
EOF
    umask 022
}

cmd_up() {
    require
    [[ ! -e $STATE ]] || die "$STATE exists: a cluster is up (or was left): run '$0 down' first"
    ! ip netns list | grep -q "^$NS_PREFIX-" || die "namespaces $NS_PREFIX-* exist: run '$0 down'"
    [[ $TEAR_DOWN == always ]] || TEAR_DOWN=on-failure
    mkdir -p "$STATE"
    chmod 755 "$STATE"
    touch "$STATE/.topup-netns-cluster" # `down` removes only a directory that has this mark
    cd "$STATE" # the postgres user runs commands here too
    say "network: bridge $BRIDGE $NET.1/24; hosts ${HOSTS[*]}"
    net_up
    local db_password replication_password
    db_password=$(secret)
    replication_password=$(secret)
    db_up "$db_password" "$replication_password"
    settings_write "$db_password"
    say "worker: migrate and seed the database (demo catalog, staff, 40 identified lines)"
    mkdir -p "$STATE/worker/data"
    host_run worker python -m tests.faults.seed > "$STATE/worker/seed.log" 2>&1 \
        || { cat "$STATE/worker/seed.log" >&2; die "seeding failed"; }
    local n
    for n in 1 2; do
        host_spawn "web$n" serve topup serve --bind "$(ip_of "web$n"):$PORT" \
            --workers "$WEB_WORKERS" --timeout 20
    done
    for ((n = 1; n <= TASK_WORKERS; n++)); do
        host_spawn worker "worker$n" topup worker --interval 0.2
    done
    host_spawn lb lb python "$ROOT/deploy/lb.py" --listen "$(ip_of lb):$PORT" \
        --backend "$(ip_of web1):$PORT" --backend "$(ip_of web2):$PORT" \
        --stats "$STATE/lb/stats.json"
    for n in 1 2; do
        wait_http "http://$(ip_of "web$n"):$PORT/healthz" "web$n" "$STATE/web$n/serve.pid"
    done
    wait_http "http://$(ip_of lb):$PORT/readyz" "the load balancer (readiness)" "$STATE/lb/lb.pid"
    [[ $TEAR_DOWN == always ]] || TEAR_DOWN=never
    cmd_status
}

cmd_status() {
    [[ -d $STATE ]] || { say "no cluster ($STATE absent)"; return 0; }
    local host pidfile pid state
    for host in "${HOSTS[@]}"; do
        printf '%-8s %-14s' "$host" "$(ip_of "$host")"
        for pidfile in "$STATE/$host"/*.pid; do
            [[ -e $pidfile ]] || continue
            pid=$(cat "$pidfile")
            state=dead
            kill -0 "$pid" 2>/dev/null && state="pid $pid"
            printf ' %s(%s)' "$(basename "$pidfile" .pid)" "$state"
        done
        if [[ -f $STATE/$host/data/postmaster.pid ]]; then
            printf ' postgres(pid %s)' "$(head -n 1 "$STATE/$host/data/postmaster.pid")"
        fi
        printf ' [%s processes in its namespace]\n' "$(ip netns pids "$(ns "$host")" 2>/dev/null | wc -l)"
    done
}

# CPU seconds used so far by each host's processes (user + system, with reaped children's), as
# JSON: what the load driver turns into CPU per top-up. A killed process takes its share along.
cmd_cpu() {
    local host pid ticks total first=1
    ticks=$(getconf CLK_TCK)
    printf '{'
    for host in "${HOSTS[@]}"; do
        total=0
        for pid in $(ip netns pids "$(ns "$host")" 2>/dev/null); do
            # Fields after the command name's closing parenthesis: utime stime cutime cstime
            # are the 12th to 15th of them.
            total=$((total + $(awk '{sub(/.*\) /, ""); print $12 + $13 + $14 + $15}' \
                "/proc/$pid/stat" 2>/dev/null || echo 0)))
        done
        ((first)) || printf ', '
        first=0
        printf '"%s": %s' "$host" "$(awk -v t="$total" -v hz="$ticks" 'BEGIN {printf "%.2f", t / hz}')"
    done
    printf '}\n'
}

cmd_exec() {
    [[ $# -ge 2 ]] || die "usage: $0 exec HOST CMD..."
    local host=$1
    shift
    [[ -n ${ADDRESS[$host]:-} ]] || die "unknown host $host (one of ${HOSTS[*]})"
    [[ -f $STATE/cluster.env ]] || die "no cluster: run '$0 up'"
    cd "$ROOT"
    host_run "$host" "$@"
}

cmd_kill_web() {
    local n=${1:-} mode=${2:-}
    [[ $n == 1 || $n == 2 ]] || die "usage: $0 kill-web 1|2 [--link]"
    local namespace
    namespace=$(ns "web$n")
    if [[ $mode == --link ]]; then
        ip -n "$namespace" link set eth0 down
        say "web$n: network link cut (processes left running, unreachable)"
        return 0
    fi
    local -a pids
    mapfile -t pids < <(ip netns pids "$namespace")
    [[ ${#pids[@]} -gt 0 ]] || die "web$n has no process left"
    kill -KILL "${pids[@]}"
    say "web$n: SIGKILLed all ${#pids[@]} processes of the host (pids ${pids[*]})"
}

cmd_load() {
    [[ -f $STATE/rig.env ]] || die "no cluster: run '$0 up'"
    local -A rig
    local line
    while IFS= read -r line; do rig[${line%%=*}]=${line#*=}; done < "$STATE/rig.env"
    cd "$ROOT"
    "$VENV/bin/python" "$ROOT/deploy/cluster_load.py" --script "$SCRIPT" --state-dir "$STATE" \
        --lb-url "${rig[LB_URL]}" --database-url "${rig[DATABASE_URL]}" \
        --standby-url "${rig[STANDBY_URL]}" "$@"
}

# Stop a process group started by host_spawn: SIGTERM, then SIGKILL after 10 s.
group_stop() {
    local pid=$1 waited=0
    kill -TERM -- "-$pid" 2>/dev/null || return 0
    while kill -0 "$pid" 2>/dev/null && ((waited < 100)); do
        sleep 0.1
        waited=$((waited + 1))
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
}

cmd_down() {
    [[ $(id -u) -eq 0 ]] || die "needs root"
    local host pidfile pid
    if [[ -d $STATE ]]; then
        for host in lb web1 web2 worker; do
            for pidfile in "$STATE/$host"/*.pid; do
                [[ -e $pidfile ]] || continue
                pid=$(cat "$pidfile")
                [[ $pid =~ ^[0-9]+$ ]] && group_stop "$pid"
            done
        done
        db_down
    fi
    # Whatever is still inside a namespace of ours (a process that outlived its group).
    local -a left
    for host in "${HOSTS[@]}"; do
        mapfile -t left < <(ip netns pids "$(ns "$host")" 2>/dev/null || true)
        if [[ ${#left[@]} -gt 0 ]]; then
            say "$host: killing ${#left[@]} leftover process(es): ${left[*]}"
            kill -KILL "${left[@]}" 2>/dev/null || true
        fi
    done
    net_down
    cd /
    if [[ -f $STATE/.topup-netns-cluster ]]; then
        rm -rf "$STATE"
    elif [[ -e $STATE ]]; then
        say "left $STATE in place: not made by this script"
    fi
    say "down: processes, namespaces, veths, bridge and $STATE removed"
}

on_exit() {
    local status=$?
    trap - EXIT
    if [[ $TEAR_DOWN == always || ($TEAR_DOWN == on-failure && $status -ne 0) ]]; then
        say "tearing down (exit status $status)"
        cmd_down || true
    fi
    exit "$status"
}

cmd_demo() {
    require
    TEAR_DOWN=always
    cmd_up
    say "load: ${*:-defaults}"
    cmd_load "$@"
}

main() {
    trap on_exit EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    local command=${1:-}
    [[ -n $command ]] && shift
    case $command in
        up) cmd_up ;;
        load) cmd_load "$@" ;;
        kill-web) cmd_kill_web "$@" ;;
        exec) cmd_exec "$@" ;;
        status) cmd_status ;;
        cpu) cmd_cpu ;;
        down) cmd_down ;;
        demo) cmd_demo "$@" ;;
        *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
    esac
}

main "$@"
