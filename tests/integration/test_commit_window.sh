# Rules' commit window (sw_stage_set_commit_window): a batch that forwards
# nothing may stay open for more messages. Here every batch qualifies
# (--commit-window 200 --commit-window-min 1, via the environment) while a
# device streams on-plan reports (no level change: nothing forwarded) with
# a red one in the middle, and rules is killed with -9 during the stream.
# Every acknowledged report is applied exactly once, the red one's event
# reaches the subscriber once, and rules says it held batches open (held=N
# at a clean stop), so the window's path really ran. Four-process form.
source "$(dirname "$0")/lib.sh" "$1" "$2"
source "$(dirname "$0")/faults_lib.sh"
export SITEWATCH_COMMIT_WINDOW=200
export SITEWATCH_COMMIT_WINDOW_MIN=1
N=${N:-40}

start_service notify
start_service escalation
start_service rules --log-level info
start_service intake
wait_ready
sw clock set 2026-03-11T10:00:00+08:00 >/dev/null
sw registry import "$SRC/tests/integration/data/mini.yaml" >/dev/null 2>&1

device () {
    local i st
    for i in $(seq 1 "$N"); do
        # 30 % against 25 % planned: on plan, P1 stays green
        st=$(sw --timeout 30000 --json report --project P1 --percent 30 --id "win-$i" \
                 --observed-at 2026-03-11T10:00:00+08:00 2>>"$WORK/device.err" | jq -r .status) || st=noanswer
        echo "win-$i $st" >>"$WORK/device.acks"
        if [ "$i" = $((N / 2)) ]; then
            st=$(sw --timeout 30000 --json report --project P2 --percent 10 --id win-red \
                     --observed-at 2026-03-11T10:00:00+08:00 2>>"$WORK/device.err" | jq -r .status) || st=noanswer
            echo "win-red $st" >>"$WORK/device.red"
        fi
    done
}
device & dpid=$!
sleep 0.7
echo "  kill -9 rules after $(wc -l <"$WORK/device.acks" 2>/dev/null || echo 0) acks"
stop_hard rules
start_service rules --log-level info
wait_ready
wait "$dpid"

acked=$(grep -c -E ' (accepted|duplicate)$' "$WORK/device.acks" || true)
[ "$acked" = "$N" ] || fail "$acked of $N reports acknowledged"
grep -q -E 'win-red (accepted|duplicate)$' "$WORK/device.red" || fail "red report: $(cat "$WORK/device.red")"
stored=$(sw --json project P1 | jq '[.reports[].report_id] | unique | length')
all=$(sw --json project P1 | jq '.reports | length')
echo "P1: $all reports stored, $stored distinct, of $N acknowledged"
[ "$stored" = "$N" ] && [ "$all" = "$N" ] || fail "rules holds $all reports ($stored distinct) for P1, want $N"
[ "$(sw --json project P1 | jq -r .status.level)" = green ] || fail "P1 is not green"
events=$(sw --json subscribe --no-follow --from 1 warning. | jq -r '.event.project_id' | sort | uniq -c | tr -s ' ')
echo "warning events by project: $events"
[ "$events" = " 1 P2" ] || fail "want exactly one warning event (P2 red), got: $events"

stop_soft rules
held=$(grep -o 'event=stopped .*held=[0-9]*' "$WORK/rules.log" | tail -1 | sed 's/.*held=//')
echo "rules held $held batches open in its last run"
[ "${held:-0}" -gt 0 ] || fail "the commit window never held a batch (held=${held:-none})"
ok "commit window: $N reports exactly once across kill -9, the red event once, $held batches held"
