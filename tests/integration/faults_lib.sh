# Shared pieces of the fault harness (test_faults_*.sh), sourced after
# lib.sh: a device whose every report flips a project's level, a subscriber
# that catches up by replay, exactly-once checks and the board.
# Not a test itself (no test_ prefix).

# fl_reset: stop everything started so far (kill -9, by pid) and forget all data.
fl_reset () {
    local pid
    for pid in "${PIDS[@]:-}"; do
        [ -n "$pid" ] && { kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
    done
    PIDS=()
    rm -rf "$WORK"/data "$WORK"/data-* "$WORK"/device.* "$WORK"/sub.*
}

# fl_start_form FORM [FLAGS...]: sitewatchd or four (each server given FLAGS);
# clock and registry as the device expects.
fl_start_form () {
    local form=$1; shift
    if [ "$form" = sitewatchd ]; then start_sitewatchd "$@"; else start_four "$@"; fi
    sw clock set 2026-03-11T10:00:00+08:00 >/dev/null
    sw registry import "$SRC/tests/integration/data/mini.yaml" >/dev/null 2>&1
}

# fl_device N [PREFIX]: N reports over P1..P3; each flips its project between
# red (10 %: lag 15) and green (30 %), so each report applied once yields
# exactly one warning event, and each red one leadership report. Acks go to
# $WORK/device.acks as "ID STATUS".
fl_device () {
    local n=$1 prefix=${2:-dev} i p pct st
    for i in $(seq 1 "$n"); do
        p=P$(( (i - 1) % 3 + 1 ))
        if [ $(( ((i - 1) / 3) % 2 )) = 0 ]; then pct=10; else pct=30; fi
        st=$(sw --timeout 30000 --json report --project "$p" --percent "$pct" --id "$prefix-$i" \
                 --observed-at 2026-03-11T10:00:00+08:00 2>>"$WORK/device.err" | jq -r .status) || st=noanswer
        echo "$prefix-$i $st" >>"$WORK/device.acks"
    done
    touch "$WORK/device.done"
}

# fl_subscriber: polls warning. from its last sequence number (replay), as a
# subscriber that comes and goes; appends to $WORK/sub.all until sub.stop.
fl_subscriber () {
    local next=1 last
    while [ ! -f "$WORK/sub.stop" ] && kill -0 $$ 2>/dev/null; do   # ends with the test
        sw --timeout 3000 --json subscribe --no-follow --from "$next" warning. >"$WORK/sub.part" 2>/dev/null || true
        if [ -s "$WORK/sub.part" ]; then
            cat "$WORK/sub.part" >>"$WORK/sub.all"
            last=$(tail -1 "$WORK/sub.part" | jq -r .seq)
            next=$((last + 1))
        fi
        : >"$WORK/sub.part"
        sleep 0.2
    done
}

# fl_finish_subscriber SPID: stop the poller, then one last catch-up.
fl_finish_subscriber () {
    touch "$WORK/sub.stop"; wait "$1" || true
    local next=1
    [ -s "$WORK/sub.all" ] && next=$(( $(tail -1 "$WORK/sub.all" | jq -r .seq) + 1 ))
    sw --json subscribe --no-follow --from "$next" warning. >>"$WORK/sub.all"
    touch "$WORK/sub.all"
}

# fl_check LABEL N: every acknowledged report took effect exactly once; every
# warning event reached the subscriber exactly once, in order, levels
# alternating per project; one leadership report per red. Prints the counts.
fl_check () {
    local label=$1 n=$2 acked dup bad stored events uniq reds leaders p
    acked=$(grep -c ' accepted$' "$WORK/device.acks" || true)
    dup=$(grep -c ' duplicate$' "$WORK/device.acks" || true)
    bad=$(grep -vc -E ' (accepted|duplicate)$' "$WORK/device.acks" || true)
    : >"$WORK/stored.ids"
    for p in P1 P2 P3; do
        sw --json project "$p" | jq -r '.reports[].report_id' >>"$WORK/stored.ids"
    done
    stored=$(wc -l <"$WORK/stored.ids")
    events=$(wc -l <"$WORK/sub.all")
    uniq=$(jq -r .event.event_id "$WORK/sub.all" | sort -u | wc -l)
    reds=$(jq -r 'select(.event.to == "red") | .event.event_id' "$WORK/sub.all" | wc -l)
    leaders=$(sw --json subscribe --no-follow --from 1 leadership. | jq -r 'select(.event.attempt == 1) | .event.report_id' | sort -u | wc -l)
    echo "$label: reports=$n accepted=$acked duplicates=$dup unanswered=$bad stored=$stored" \
         "events=$events distinct=$uniq reds=$reds leadership=$leaders"
    [ "$bad" = 0 ] || fail "$label: $bad reports never acknowledged"
    [ $((acked + dup)) = "$n" ] || fail "$label: acks $((acked + dup)) != $n"
    [ "$stored" = "$n" ] || fail "$label: rules holds $stored reports, want $n"
    [ "$(sort -u "$WORK/stored.ids" | wc -l)" = "$n" ] || fail "$label: a report was applied twice"
    [ "$events" = "$n" ] || fail "$label: $events warning events, want $n"
    [ "$uniq" = "$n" ] || fail "$label: duplicated warning events"
    jq -r .seq "$WORK/sub.all" | sort -n -c || fail "$label: sequence out of order"
    for p in P1 P2 P3; do
        jq -r "select(.event.project_id == \"$p\") | .event.to" "$WORK/sub.all" | tr '\n' ' ' >"$WORK/flips"
        grep -q -E '^(red green )*(red )?$' "$WORK/flips" || fail "$label: $p levels $(cat "$WORK/flips")"
    done
    [ "$reds" = "$leaders" ] || fail "$label: $reds reds but $leaders leadership reports"
    ok "$label: $n reports exactly once, $events events exactly once in order, $leaders leadership reports"
}

# fl_board FILE: the operator's board, keys sorted.
fl_board () { sw --json status | jq -S . >"$1"; }

# fl_rss PID: resident memory in KiB.
fl_rss () { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# Bursts of concurrent devices (test_commit_interval.sh, test_commit_pipeline.sh):
# fl_burst TAG starts N devices at once, each sending one on-plan report for P1
# (30 % against 25 %) with id TAG-i and appending "TAG-i STATUS" to
# $WORK/device.acks; fl_burst_done waits for them (by pid: a bare `wait` would
# wait for the servers); fl_acks_reach K waits (at most 10 s) until K answers
# have come; fl_check_p1_once K checks that K reports were acknowledged and P1
# holds each exactly once.
FL_DEVICES=()
fl_burst () {
    local tag=$1 i
    FL_DEVICES=()
    for i in $(seq 1 "$N"); do
        ( st=$(sw --timeout 30000 --json report --project P1 --percent 30 --id "$tag-$i" \
                   --observed-at 2026-03-11T10:00:00+08:00 2>>"$WORK/device.err" | jq -r .status) \
              || st=noanswer
          echo "$tag-$i $st" >>"$WORK/device.acks" ) &
        FL_DEVICES+=($!)
    done
}
fl_burst_done () { wait "${FL_DEVICES[@]}"; }
fl_acks_reach () {
    local i; for i in $(seq 1 200); do
        [ "$(wc -l <"$WORK/device.acks")" -ge "$1" ] && return 0; sleep 0.05
    done
}
fl_check_p1_once () {
    local want=$1 acked stored all
    acked=$(grep -c -E ' (accepted|duplicate)$' "$WORK/device.acks" || true)
    [ "$acked" = "$want" ] || fail "$acked of $want reports acknowledged: $(grep -v -E ' (accepted|duplicate)$' "$WORK/device.acks" | head -3)"
    stored=$(sw --json project P1 | jq '[.reports[].report_id] | unique | length')
    all=$(sw --json project P1 | jq '.reports | length')
    echo "P1: $all reports stored, $stored distinct, of $want acknowledged"
    [ "$stored" = "$want" ] && [ "$all" = "$want" ] || fail "rules holds $all reports ($stored distinct) for P1, want $want"
}
# fl_intake_count KEY: stops intake (SIGTERM) and prints KEY's count from its
# `stopped` log line (held, pipelined, ...), or nothing.
fl_intake_count () {
    stop_soft intake
    local line; line=$(grep -o 'event=stopped .*' "$WORK/intake.log" | tail -1)
    echo "intake's last run: $line" >&2
    echo "$line" | sed -n "s/.*$1=\([0-9]*\).*/\1/p"
}

# fl_restart_intake: kill -9 intake and start it again (no shim), ready.
fl_restart_intake () {
    stop_hard intake
    start_service intake --log-level info
    wait_ready
}

# fl_start_slow_intake MS: start intake (stopped before) with every fdatasync
# MS ms slow (tests/tools/slow_sync.c preloaded; SW_SLOW_SYNC_MARK, if set,
# exists while a sync is under way), ready.
fl_start_slow_intake () {
    SW_SLOW_SYNC_MS=$1 LD_PRELOAD="$BUILD/tests/libsw_slow_sync.so" \
        ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
        start_service intake --log-level info
    wait_ready
}
