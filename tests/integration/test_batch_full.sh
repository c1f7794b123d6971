# Intake's batch filling up while the one before commits: 5 000 reports
# sent at once on one connection (tests/tools/sw_probe.c, "burst"), every
# fdatasync in intake 150 ms slow (tests/tools/slow_sync.c preloaded), every
# batch on the writer thread (--pipeline-min 1). While a batch commits,
# intake reads the next up to 2048 requests and stops; the rest wait in
# ZMQ's queue. Once without a fault: every report is answered "accepted"
# the first time, none had to be sent again (the device waits 60 s before
# it resends: a request intake dropped would show) and at least one batch
# began full (full=N at a clean stop). Once with intake killed -9 inside a commit of that burst: the
# device resends what was not answered, to an intake without the shim.
# Both times every report is stored exactly once. Four-process form.
source "$(dirname "$0")/lib.sh" "$1" "$2"
source "$(dirname "$0")/faults_lib.sh"
export SITEWATCH_PIPELINE_MIN=1
N=${N:-5000}
PROBE="$BUILD/tests/sw_probe"
export SW_SLOW_SYNC_MARK="$WORK/in-sync"

# p1_holds K: P1 holds K reports, each once.
p1_holds () {
    sw --json project P1 | jq -r '.reports[].report_id' >"$WORK/p1.ids"
    local all distinct
    all=$(wc -l <"$WORK/p1.ids")
    distinct=$(sort -u "$WORK/p1.ids" | wc -l)
    echo "  P1: $all reports stored, $distinct distinct, want $1"
    [ "$all" = "$1" ] && [ "$distinct" = "$1" ] || fail "P1 holds $all reports ($distinct distinct), want $1"
}

fl_start_form four --log-level info
stop_soft intake
fl_start_slow_intake 150

# 1. No fault.
got=$("$PROBE" "$SITEWATCH_ENDPOINT" burst P1 "$N" f 60000 2>"$WORK/burst.progress")
echo "  burst f: $got"
[ "$got" = "accepted $N duplicate 0 rejected 0 unanswered 0 resent 0" ] \
    || fail "burst f without a fault: $got, want every report accepted the first time"
p1_holds "$N"
full=$(fl_intake_count full)
pipelined=$(grep -o 'event=stopped .*' "$WORK/intake.log" | tail -1 | sed -n 's/.*pipelined=\([0-9]*\).*/\1/p')
# Every batch went to the writer (--pipeline-min 1), so each after the
# first was read while another committed: one of them began full.
[ "${pipelined:-0}" -ge 2 ] || fail "batches on the writer: ${pipelined:-none}, want 2 or more"
[ "${full:-0}" -ge 1 ] || fail "no batch filled up while another committed (full=${full:-none})"

# 2. kill -9 inside a commit of the burst, once part of it is answered: a
# later batch is then being journaled on the writer while intake reads the
# next into the other half (full or filling). The shim's mark file outlives
# a kill during its sleep: that proves the kill landed inside a sync. When
# the sync ended between the look and the kill (a few ms of 150), the
# burst still has to come through exactly once, and the kill is tried
# again on a new burst, three times at most.
stored=$N
landed=no
for attempt in 1 2 3; do
    tag=k$attempt
    rm -f "$SW_SLOW_SYNC_MARK"
    fl_start_slow_intake 150
    : >"$WORK/burst.$tag.progress"
    "$PROBE" "$SITEWATCH_ENDPOINT" burst P1 "$N" "$tag" >"$WORK/burst.$tag" 2>"$WORK/burst.$tag.progress" &
    prober=$!
    answered=
    for _ in $(seq 1 3000); do
        answered=$(tail -1 "$WORK/burst.$tag.progress" | awk '{print $2}')
        [ -e "$SW_SLOW_SYNC_MARK" ] && [ "${answered:-0}" -gt 0 ] && break
        answered=
        sleep 0.005
    done
    [ -n "$answered" ] || { kill "$prober" 2>/dev/null; fail "burst $tag: intake never seen inside a sync with part of the burst answered"; }
    stop_hard intake
    if [ -e "$SW_SLOW_SYNC_MARK" ] && [ "$answered" -lt "$N" ]; then landed=yes; fi
    echo "  burst $tag: kill -9 intake with $answered of $N answered; inside a sync: $landed"
    start_service intake --log-level info
    wait_ready
    wait "$prober"
    got=$(cat "$WORK/burst.$tag")
    echo "  burst $tag: $got"
    case "$got" in
        "accepted "*" duplicate "*" rejected 0 unanswered 0 resent "*) ;;
        *) fail "burst $tag across kill -9: $got" ;;
    esac
    acc=$(echo "$got" | awk '{print $2}')
    dup=$(echo "$got" | awk '{print $4}')
    [ $((acc + dup)) = "$N" ] || fail "burst $tag: $acc accepted + $dup duplicates != $N"
    stored=$((stored + N))
    p1_holds "$stored"
    [ "$landed" = yes ] && break
    stop_soft intake
done
[ "$landed" = yes ] || fail "in three bursts the kill never landed inside a sync"
ok "batches filling up while another commits: $N reports at once, exactly once, without a fault and across kill -9 inside a commit"
