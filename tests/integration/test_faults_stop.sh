# Fault harness (e), graceful stop: SIGTERM under load ends each server with
# exit status 0 within a bounded time (measured), and after a restart every
# acknowledged report is there, applied once. A second server on a data
# directory in use is refused at once with a message naming the lock.
source "$(dirname "$0")/lib.sh" "$1" "$2"
source "$(dirname "$0")/faults_lib.sh"
N=${N:-30}
STOP_LIMIT_MS=${STOP_LIMIT_MS:-5000}

# term NAME: SIGTERM, wait for the exit; sets TERM_RC and TERM_MS
term () {
    local pid t0 i; pid=$(pid_of "$1"); t0=$(date +%s%N)
    kill -TERM "$pid"
    for i in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.02; done
    TERM_RC=0; wait "$pid" || TERM_RC=$?
    TERM_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
}

# stop_under_load FORM VICTIM...: SIGTERM the victims while the device sends
stop_under_load () {
    local form=$1; shift
    local v
    fl_reset
    fl_start_form "$form"
    fl_device "$N" & local dpid=$!
    fl_subscriber & local spid=$!
    sleep 1.5
    for v in "$@"; do
        term "$v"
        echo "  SIGTERM $v under load: exit $TERM_RC after $TERM_MS ms"
        [ "$TERM_RC" = 0 ] || fail "$v exited $TERM_RC on SIGTERM"
        [ "$TERM_MS" -lt "$STOP_LIMIT_MS" ] || fail "$v took $TERM_MS ms to stop"
        if [ "$v" = sitewatchd ]; then start_sitewatchd; else start_service "$v"; wait_ready; fi
    done
    wait "$dpid"
    fl_finish_subscriber "$spid"
    fl_check "$form, SIGTERM under load ($*)" "$N"
}

stop_under_load sitewatchd sitewatchd
stop_under_load four intake rules escalation notify

# ---- a second server on a data directory in use
second () {
    local name=$1; shift
    local rc=0 t0; t0=$(date +%s%N)
    timeout 20 "$@" >"$WORK/second.$name.log" 2>&1 || rc=$?
    local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    echo "second $name on the same data: exit $rc after $ms ms: $(grep -v '^$' "$WORK/second.$name.log" | tail -1)"
    [ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "a second $name on the same data directory was not refused (exit $rc)"
    grep -q 'sitewatch.lock' "$WORK/second.$name.log" || fail "the refusal does not name the lock"
    grep -q 'in use' "$WORK/second.$name.log" || fail "the refusal does not say the directory is in use"
}
second intake "$BUILD/sitewatch-intake" --data "$WORK/data-intake" --endpoint "tcp://127.0.0.1:$((PORT_BASE + 5))" \
    --rules-endpoint "tcp://127.0.0.1:$((PORT_BASE + 6))" "${COMMON_FLAGS[@]}"
fl_reset
start_sitewatchd
second sitewatchd "$BUILD/sitewatchd" --data "$WORK/data" --endpoint "tcp://127.0.0.1:$((PORT_BASE + 5))" "${COMMON_FLAGS[@]}"
sw --timeout 3000 clock show >/dev/null || fail "the first sitewatchd suffered from the second"
ok "a second server on a data directory in use is refused, naming the lock; the first runs on"
term sitewatchd
[ "$TERM_RC" = 0 ] || fail "idle sitewatchd exited $TERM_RC on SIGTERM"
ok "idle sitewatchd stops on SIGTERM with exit 0 in $TERM_MS ms"
