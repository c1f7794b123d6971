# Intake's pipelined commit (--pipeline-min; 1 here, via the environment,
# so every batch commits on the store's writer thread while intake reads
# the next and answers the one before): bursts of concurrent reports, one
# with intake killed -9 mid-burst (batches committing on the writer, their
# reports never acknowledged: the devices resend them), one with intake
# stopped by SIGTERM mid-burst (a batch under way is finished and answered
# first). Every report is acknowledged and stored exactly once, and intake
# says it committed batches on the writer (pipelined=N at a clean stop), so
# that path really ran. Four-process form.
source "$(dirname "$0")/lib.sh" "$1" "$2"
export SITEWATCH_PIPELINE_MIN=1
N=${N:-24}

start_service notify
start_service escalation
start_service rules
start_service intake --log-level info
wait_ready
sw clock set 2026-03-11T10:00:00+08:00 >/dev/null
sw registry import "$SRC/tests/integration/data/mini.yaml" >/dev/null 2>&1

# N devices at once, each one on-plan report for P1 (30 % against 25 %).
# (Waits for the devices by pid: a bare `wait` would wait for the servers.)
DEVICES=()
burst () {
    local tag=$1 i
    DEVICES=()
    for i in $(seq 1 "$N"); do
        ( st=$(sw --timeout 30000 --json report --project P1 --percent 30 --id "$tag-$i" \
                   --observed-at 2026-03-11T10:00:00+08:00 2>>"$WORK/device.err" | jq -r .status) \
              || st=noanswer
          echo "$tag-$i $st" >>"$WORK/device.acks" ) &
        DEVICES+=($!)
    done
}
devices_done () { wait "${DEVICES[@]}"; }
# Until K answers have come (at most 10 s): the burst is under way.
acks_reach () {
    local i; for i in $(seq 1 200); do
        [ "$(wc -l <"$WORK/device.acks")" -ge "$1" ] && return 0; sleep 0.05
    done
}

burst a
devices_done
burst b
acks_reach $((N + 2))
echo "  kill -9 intake mid-burst ($(wc -l <"$WORK/device.acks") acks so far)"
stop_hard intake
start_service intake --log-level info
wait_ready
devices_done
burst c
acks_reach $((2 * N + 2))
echo "  SIGTERM to intake mid-burst ($(wc -l <"$WORK/device.acks") acks so far)"
stop_soft intake
start_service intake --log-level info
wait_ready
devices_done
burst d
devices_done

acked=$(grep -c -E ' (accepted|duplicate)$' "$WORK/device.acks" || true)
[ "$acked" = $((4 * N)) ] || fail "$acked of $((4 * N)) reports acknowledged: $(grep -v -E ' (accepted|duplicate)$' "$WORK/device.acks" | head -3)"
stored=$(sw --json project P1 | jq '[.reports[].report_id] | unique | length')
all=$(sw --json project P1 | jq '.reports | length')
echo "P1: $all reports stored, $stored distinct, of $((4 * N)) acknowledged"
[ "$stored" = $((4 * N)) ] && [ "$all" = $((4 * N)) ] || fail "rules holds $all reports ($stored distinct) for P1, want $((4 * N))"

stop_soft intake
line=$(grep -o 'event=stopped .*' "$WORK/intake.log" | tail -1)
pipelined=$(echo "$line" | sed -n 's/.*pipelined=\([0-9]*\).*/\1/p')
echo "intake's last run: $line"
[ "${pipelined:-0}" -gt 0 ] || fail "intake never committed on the writer thread (pipelined=${pipelined:-none})"
ok "pipelined commit: $((4 * N)) concurrent reports exactly once across kill -9 and SIGTERM, $pipelined batches on the writer"
