# Shared helpers for integration tests: start and stop the real servers
# (detached, by pid), call the real command line, wait for readiness.
# Usage: source lib.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
WORK=$(mktemp -d /tmp/sitewatch-it.XXXXXX)
PIDS=()
# Each test gets its own block of 10 ports, reserved by an atomic mkdir so
# that tests running in parallel (ctest -j) never share one: a shared port
# sends one test's requests to another test's server.
PORT_LOCK=""
if [ -z "${PORT_BASE:-}" ]; then
    mkdir -p /tmp/sitewatch-ports
    find /tmp/sitewatch-ports -mindepth 1 -maxdepth 1 -mmin +120 -exec rmdir {} + 2>/dev/null || true
    for _ in $(seq 1 1000); do
        b=$((20000 + (RANDOM % 400) * 10))
        if mkdir "/tmp/sitewatch-ports/$b" 2>/dev/null; then
            PORT_BASE=$b
            PORT_LOCK=/tmp/sitewatch-ports/$b
            break
        fi
    done
    [ -n "${PORT_BASE:-}" ] || { echo "no free port block" >&2; exit 1; }
fi
export SITEWATCH_ENDPOINT="tcp://127.0.0.1:$PORT_BASE"
RULES_EP="tcp://127.0.0.1:$((PORT_BASE + 1))"
ESC_EP="tcp://127.0.0.1:$((PORT_BASE + 2))"
NOTIFY_EP="tcp://127.0.0.1:$((PORT_BASE + 3))"

cleanup () {
    local pid
    for pid in "${PIDS[@]:-}"; do
        [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
    done
    [ -n "$PORT_LOCK" ] && rmdir "$PORT_LOCK" 2>/dev/null
    if [ "${KEEP_WORK:-0}" = 1 ] || [ "${TEST_FAILED:-0}" = 1 ]; then
        echo "work dir kept: $WORK" >&2
    else
        rm -rf "$WORK"
    fi
}
trap 'TEST_FAILED=1; cleanup' ERR
trap cleanup EXIT

fail () { echo "FAIL: $*" >&2; TEST_FAILED=1; exit 1; }
ok () { echo "ok - $*"; }

sw () { "$BUILD/sitewatch" "$@"; }

# start_bg NAME CMD... : detached, output to $WORK/NAME.log, pid in $WORK/NAME.pid
start_bg () {
    local name=$1; shift
    setsid "$@" </dev/null >>"$WORK/$name.log" 2>&1 &
    echo $! >"$WORK/$name.pid"
    PIDS+=("$!")
}
pid_of () { cat "$WORK/$1.pid"; }

wait_ready () {
    local i
    for i in $(seq 1 100); do
        if sw --timeout 300 clock show >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    fail "server not ready at $SITEWATCH_ENDPOINT"
}

COMMON_FLAGS=(--clock manual --log-level warn)

start_sitewatchd () {
    start_bg sitewatchd "$BUILD/sitewatchd" --data "$WORK/data" --endpoint "$SITEWATCH_ENDPOINT" \
        "${COMMON_FLAGS[@]}" "$@"
    wait_ready
}

start_four () {
    local svc
    for svc in notify escalation rules intake; do
        start_service "$svc" "$@"
    done
    wait_ready
}

start_service () {
    local svc=$1; shift
    start_bg "$svc" "$BUILD/sitewatch-$svc" --data "$WORK/data-$svc" \
        --endpoint "$SITEWATCH_ENDPOINT" --rules-endpoint "$RULES_EP" \
        --escalation-endpoint "$ESC_EP" --notify-endpoint "$NOTIFY_EP" "${COMMON_FLAGS[@]}" "$@"
}

stop_hard () { kill -9 "$(pid_of "$1")" 2>/dev/null || true; wait "$(pid_of "$1")" 2>/dev/null || true; }
stop_soft () {
    local pid; pid=$(pid_of "$1")
    kill -TERM "$pid" 2>/dev/null || true
    local i; for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    fail "$1 did not stop within 10 s of SIGTERM"
}
