# Intake's group commit (--commit-interval; 300 ms here, via the
# environment, so the hold is wide enough to see): reports that arrive
# while a batch is held back join it and are acknowledged only after its
# synced commit. Bursts of concurrent reports, one with intake killed -9
# while a batch is held (its reports were never acknowledged: the devices
# resend them). Every report is acknowledged and stored exactly once, and
# intake says it held batches back (held=N at a clean stop), so the hold's
# path really ran. Four-process form.
source "$(dirname "$0")/lib.sh" "$1" "$2"
source "$(dirname "$0")/faults_lib.sh"
export SITEWATCH_COMMIT_INTERVAL=300
N=${N:-12}

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

burst a
devices_done
burst b
sleep 0.15
echo "  kill -9 intake while a batch is held ($(wc -l <"$WORK/device.acks") acks so far)"
stop_hard intake
start_service intake --log-level info
wait_ready
devices_done
burst c
devices_done

acked=$(grep -c -E ' (accepted|duplicate)$' "$WORK/device.acks" || true)
[ "$acked" = $((3 * N)) ] || fail "$acked of $((3 * N)) reports acknowledged: $(grep -v -E ' (accepted|duplicate)$' "$WORK/device.acks" | head -3)"
stored=$(sw --json project P1 | jq '[.reports[].report_id] | unique | length')
all=$(sw --json project P1 | jq '.reports | length')
echo "P1: $all reports stored, $stored distinct, of $((3 * N)) acknowledged"
[ "$stored" = $((3 * N)) ] && [ "$all" = $((3 * N)) ] || fail "rules holds $all reports ($stored distinct) for P1, want $((3 * N))"

stop_soft intake
line=$(grep -o 'event=stopped .*' "$WORK/intake.log" | tail -1)
held=$(echo "$line" | sed -n 's/.*held=\([0-9]*\).*/\1/p')
echo "intake's last run: $line"
[ "${held:-0}" -gt 0 ] || fail "intake never held a batch back (held=${held:-none})"
ok "commit interval: $((3 * N)) concurrent reports exactly once across kill -9, $held batches held back"
