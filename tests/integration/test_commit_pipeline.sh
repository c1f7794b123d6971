# Intake's pipelined commit (--pipeline-min; 1 here, via the environment,
# so every batch commits on the store's writer thread while intake reads
# the next and answers the one before): bursts of concurrent reports, one
# with intake killed -9 mid-burst (batches committing on the writer, their
# reports never acknowledged: the devices resend them), one with intake
# stopped by SIGTERM mid-burst (a batch under way is finished and answered
# first), one with intake killed -9 while seen inside fdatasync (every sync
# slowed by a preloaded shim). Every report is acknowledged and stored exactly once, and intake
# says it committed batches on the writer (pipelined=N at a clean stop), so
# that path really ran. Four-process form.
source "$(dirname "$0")/lib.sh" "$1" "$2"
source "$(dirname "$0")/faults_lib.sh"
export SITEWATCH_PIPELINE_MIN=1
N=${N:-24}

fl_start_form four --log-level info

fl_burst a
fl_burst_done
fl_burst b
fl_acks_reach $((N + 2))
echo "  kill -9 intake mid-burst ($(wc -l <"$WORK/device.acks") acks so far)"
fl_restart_intake
fl_burst_done
fl_burst c
fl_acks_reach $((2 * N + 2))
echo "  SIGTERM to intake mid-burst ($(wc -l <"$WORK/device.acks") acks so far)"
stop_soft intake
start_service intake --log-level info
wait_ready
fl_burst_done
fl_burst d
fl_burst_done

# Burst e with every fdatasync 300 ms slow (tests/tools/slow_sync.c
# preloaded into intake): once its first answer is in, intake waits for
# the commit of the next batch, on the writer; kill -9 there, once the
# shim says a sync is under way (its mark file exists). The devices resend
# to an intake without the shim.
stop_soft intake
export SW_SLOW_SYNC_MARK="$WORK/in-sync"
fl_start_slow_intake 300
fl_burst e
fl_acks_reach $((4 * N + 1))
in_sync=no
for _ in $(seq 1 200); do
    [ -e "$SW_SLOW_SYNC_MARK" ] && { in_sync=yes; break; }
    sleep 0.01
done
[ "$in_sync" = yes ] || fail "intake was never seen inside a sync during burst e"
echo "  kill -9 intake inside a commit ($(wc -l <"$WORK/device.acks") acks so far)"
fl_restart_intake
fl_burst_done

fl_check_p1_once $((5 * N))
# Bursts a and d met no fault: every report in them was answered
# "accepted" the first time (a resend, had an answer been held back or
# lost, would have come back "duplicate").
late=$(grep -E '^[ad]-[0-9]+ ' "$WORK/device.acks" | grep -vc ' accepted$' || true)
[ "$late" = 0 ] || fail "$late reports of the fault-free bursts were not simply accepted: $(grep -E '^[ad]-[0-9]+ ' "$WORK/device.acks" | grep -v ' accepted$' | head -3)"

# Lone reports, one at a time: what each journaled goes downstream at
# once, not at intake's next wake (its 100 ms timer: about 50 ms more per
# report on average). 12 flips of P2's level; the time from each ack to its
# event at a following subscriber, summed. On the writer thread
# (--pipeline-min 1, as above) and on intake's own (the default 256).
LONE=12
lone_check () {
    local head sub total=0 i pct ta te
    head=$(sw --json subscribe --no-follow warning. | tail -1 | jq -r '.seq // 0')
    ( sw --json subscribe --from $((head + 1)) --count "$LONE" warning. 2>/dev/null \
          | while IFS= read -r _; do date +%s%N; done >"$WORK/lone.events" ) &
    sub=$!
    for i in $(seq 1 "$LONE"); do
        if [ $((i % 2)) = 1 ]; then pct=10; else pct=30; fi
        # the ack's time: when the command prints it (before its own exit,
        # which takes long in a sanitizer build)
        ta=$(sw --json report --project P2 --percent "$pct" --id "lone-$1-$i" \
                 --observed-at 2026-03-11T10:00:00+08:00 \
                 | { IFS= read -r l; [[ $l == *'"accepted"'* ]] && date +%s%N; cat >/dev/null; })
        [ -n "$ta" ] || fail "$1: lone report $i not accepted"
        for _ in $(seq 1 400); do
            [ "$(wc -l <"$WORK/lone.events")" -ge "$i" ] && break
            sleep 0.005
        done
        te=$(sed -n "${i}p" "$WORK/lone.events")
        [ -n "$te" ] || fail "$1: lone report $i: no event within 2 s"
        total=$((total + (te - ta) / 1000000))
    done
    wait "$sub"
    echo "lone reports ($1): ack -> event at the subscriber, $total ms for $LONE"
    [ "$total" -lt $((LONE * 25)) ] \
        || fail "$1: lone reports took $total ms from ack to event for $LONE (a forward waiting for intake's timer?)"
}
lone_check writer
pipelined=$(fl_intake_count pipelined)
[ "${pipelined:-0}" -gt 0 ] || fail "intake never committed on the writer thread (pipelined=${pipelined:-none})"
start_service intake --log-level info --pipeline-min 256
wait_ready
lone_check own
ok "pipelined commit: $((5 * N)) concurrent reports exactly once across kill -9 (once inside a commit) and SIGTERM, $pipelined batches on the writer"
