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

fl_start_form four --log-level info

fl_burst a
fl_burst_done
fl_burst b
sleep 0.15
echo "  kill -9 intake while a batch is held ($(wc -l <"$WORK/device.acks") acks so far)"
fl_restart_intake
fl_burst_done
fl_burst c
fl_burst_done

fl_check_p1_once $((3 * N))

held=$(fl_intake_count held)
[ "${held:-0}" -gt 0 ] || fail "intake never held a batch back (held=${held:-none})"
ok "commit interval: $((3 * N)) concurrent reports exactly once across kill -9, $held batches held back"
