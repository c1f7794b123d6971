# Fault harness (a), crash anywhere: kill -9 each service of the
# four-process form, and sitewatchd, at seeded random moments while a device
# streams reports and a subscriber listens; restart at once. Every
# acknowledged report takes effect exactly once, every warning event and
# leadership report reaches the subscriber exactly once, and the final board
# equals the board of the same script run without faults. Repeat a run with
#   SEED=7 bash test_faults_crash.sh BUILD SRC
# VICTIMS picks the runs (test_faults_crash_late.sh takes the last two).
source "$(dirname "$0")/lib.sh" "$1" "$2"
source "$(dirname "$0")/faults_lib.sh"
SEED=${SEED:-$(( $(date +%s) % 100000 ))}
N=${N:-45}
KILLS=${KILLS:-4}
RANDOM=$SEED
echo "seed=$SEED reports=$N kills per run=$KILLS"

# run FORM [VICTIM]: one run; no victim = the run without faults.
run () {
    local form=$1; shift
    local k v label="$form${1:+ kill -9 $*}"
    fl_reset
    fl_start_form "$form"
    fl_device "$N" & local dpid=$!
    fl_subscriber & local spid=$!
    if [ $# -gt 0 ]; then
        for k in $(seq 1 "$KILLS"); do
            sleep "0.$(( RANDOM % 8 + 1 ))"
            v=$1
            echo "  kill -9 $v (pid $(pid_of "$v")) after $(cat "$WORK/device.acks" 2>/dev/null | wc -l) acks"
            stop_hard "$v"
            if [ "$v" = sitewatchd ]; then start_sitewatchd; else start_service "$v"; wait_ready; fi
        done
    fi
    wait "$dpid"
    fl_finish_subscriber "$spid"
    fl_check "$label" "$N"
    fl_board "$WORK/board.$form${1:+.$1}"
}

run sitewatchd
cp "$WORK/board.sitewatchd" "$WORK/board.ref"
run four
[ "$(jq 'length' "$WORK/board.ref")" = 3 ] || fail "the board lists $(jq 'length' "$WORK/board.ref") projects, want 3"
cmp -s "$WORK/board.ref" "$WORK/board.four" || { diff "$WORK/board.ref" "$WORK/board.four" | head; fail "boards of the two forms differ without faults"; }
ok "the two forms agree on the board without faults"

for victim in ${VICTIMS:-sitewatchd intake rules}; do
    if [ "$victim" = sitewatchd ]; then run sitewatchd sitewatchd; b=$WORK/board.sitewatchd.sitewatchd
    else run four "$victim"; b=$WORK/board.four.$victim; fi
    cmp -s "$WORK/board.ref" "$b" || { diff "$WORK/board.ref" "$b" | head; fail "$victim: board differs from the run without faults"; }
    ok "kill -9 $victim: final board equals the run without faults"
done
echo "seed=$SEED: all runs passed"
