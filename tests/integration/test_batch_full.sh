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
[ "${full:-0}" -ge 1 ] || fail "no batch filled up while another committed (full=${full:-none})"

# 2. kill -9 inside a commit of the burst, once part of it is answered: a
# later batch is then being journaled on the writer while intake reads the
# next into the other half (full or filling).
rm -f "$SW_SLOW_SYNC_MARK"
fl_start_slow_intake 150
"$PROBE" "$SITEWATCH_ENDPOINT" burst P1 "$N" k >"$WORK/burst.k" 2>"$WORK/burst.progress" &
prober=$!
killed=no
for _ in $(seq 1 3000); do
    if [ -e "$SW_SLOW_SYNC_MARK" ] \
       && [ "$(tail -1 "$WORK/burst.progress" | awk '{print $2}')" -gt 0 ] 2>/dev/null; then
        killed=yes
        break
    fi
    sleep 0.005
done
[ "$killed" = yes ] || fail "intake was never seen inside a sync during burst k"
echo "  kill -9 intake inside a commit of burst k ($(tail -1 "$WORK/burst.progress" | awk '{print $2}') answered)"
fl_restart_intake
wait "$prober"
got=$(cat "$WORK/burst.k")
echo "  burst k: $got"
case "$got" in
    "accepted "*" duplicate "*" rejected 0 unanswered 0 resent "*) ;;
    *) fail "burst k across kill -9: $got" ;;
esac
acc=$(echo "$got" | awk '{print $2}')
dup=$(echo "$got" | awk '{print $4}')
[ $((acc + dup)) = "$N" ] || fail "burst k: $acc accepted + $dup duplicates != $N"
p1_holds $((2 * N))
ok "batches filling up while another commits: $N reports at once, exactly once, without a fault and across kill -9 inside a commit"
