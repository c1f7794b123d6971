# Integration: a red reaches the leader in charge the same local day (SPEC 5)
# through the reference leadership notifier, with real binaries, manual clock
# (time moves only with `sitewatch clock`; unconfirmed reports are re-sent on
# those moves, every --leader-retry = 5 min).
#   A. sitewatchd + standalone sitewatch-notifier (file: sink): a red at
#      23:50 confirmed at 23:55 is met; a red at 23:59 while the notifier is
#      down across midnight is missed, and still delivered (once) and
#      confirmed when it returns; re-sends are confirmed, never re-delivered.
#   B. sitewatchd --notifier on: the notifier inside, across a kill -9 of the
#      whole process.
#   C. four processes: escalation and notify killed -9 mid-way (and the
#      notifier too): every red's report reaches the sink exactly once.
#   D. a failing sink blocks the notifier, retried with backoff; a crash
#      with a report in flight does not double it in a file sink.
source "$(dirname "$0")/lib.sh" "$1" "$2"

at () { sw clock set "$1" >/dev/null || fail "clock set $1"; }
rep () {
    local st; st=$(sw --json report --project "$1" --percent "$2" --id "$3" | jq -r .status)
    [ "$st" = accepted ] || fail "report $3 for $1: $st"
}
# wait_for SECONDS WHAT COMMAND...: polls until COMMAND succeeds.
wait_for () {
    local limit=$1 what=$2; shift 2
    local end=$((SECONDS + limit))
    until "$@"; do
        [ "$SECONDS" -lt "$end" ] || fail "timed out after ${limit}s waiting for $what"
        sleep 0.1
    done
}
sla () { sw --json sla | jq -r --arg id "$1" ".[] | select(.report_id == \$id) | $2"; }
sla_is () { [ "$(sla "$1" "$2")" = "$3" ]; }
sink_count () { grep -c "\"report_id\":\"$2\"" "$1" 2>/dev/null || true; }
log_count () { grep -c "$2" "$WORK/$1.log" 2>/dev/null || true; }
confirmed_n () { [ "$(log_count "$1" "event=confirmed report_id=$2 ")" -ge "$3" ]; }

start_notifier () {  # start_notifier NAME SINKFILE
    start_bg "$1" "$BUILD/sitewatch-notifier" --endpoint "$SITEWATCH_ENDPOINT" \
        --data "$WORK/$1-data" --notifier-sink "file:$2" --log-level info
}

# ------------------------------------------------------------------ A
SINK=$WORK/leaders.jsonl
start_sitewatchd
at 2026-03-11T09:00:00+08:00
sw registry import "$SRC/tests/integration/data/policy.yaml" >/dev/null 2>&1 || fail "registry import"

at 2026-03-11T23:50:00+08:00
rep PJ 5 a1                                   # planned 25: lag 20, red
at 2026-03-11T23:55:00+08:00                  # 5 min: re-sent (attempt 2), nobody listens yet
start_notifier notifier "$SINK"
wait_for 20 "PJ's report confirmed" sla_is LR-PJ.1 .outcome met
wait_for 20 "both sends of PJ's report confirmed" confirmed_n notifier LR-PJ.1 2
[ "$(sla LR-PJ.1 '[.raised_at, .due_at, .confirmed_at, .attempts] | @tsv')" \
  = "$(printf '2026-03-11T23:50:00+08:00\t2026-03-11T23:59:59.999+08:00\t2026-03-11T23:55:00+08:00\t2')" ] \
    || fail "PJ's SLA entry: $(sw --json sla | jq -c .)"
[ "$(wc -l <"$SINK")" = 1 ] || fail "the re-send was delivered again: $(cat "$SINK")"
[ "$(jq -c '[.report_id, .project_id, .project_name, .leader_id, .leader_name, .raised_at, .due_at, .attempt, .event.from, .event.to, [.event.reasons[].code]]' "$SINK")" \
  = '["LR-PJ.1","PJ","Reason Rejected","L1","Leader One","2026-03-11T23:50:00+08:00","2026-03-11T23:59:59.999+08:00",1,"green","red",["serious_lag"]]' ] \
    || fail "sink line: $(cat "$SINK")"
ok "a red at 23:50 confirmed at 23:55 is met; delivered once, each send confirmed"

stop_hard notifier                            # the notifier is down all night
at 2026-03-11T23:59:00+08:00
rep PA 5 a2                                   # a red at 23:59 is still due that day
[ "$(sla LR-PA.1 '[.due_at, .outcome] | @tsv')" = "$(printf '2026-03-11T23:59:59.999+08:00\tpending')" ] \
    || fail "PA before midnight: $(sw --json sla | jq -c .)"
at 2026-03-12T00:04:00+08:00                  # re-sent (attempt 2)
at 2026-03-12T00:09:30+08:00                  # re-sent (attempt 3)
[ "$(sla LR-PA.1 '[.outcome, .confirmed_at, .attempts] | @tsv')" = "$(printf 'missed\t\t3')" ] \
    || fail "PA after midnight, unconfirmed: $(sw --json sla | jq -c .)"
[ "$(sla LR-PJ.1 .attempts)" = 2 ] || fail "a confirmed report was re-sent"
ok "with the notifier down across midnight the 23:59 red is missed; re-sent on clock moves"

start_notifier notifier "$SINK"
wait_for 20 "PA's report confirmed after the restart" sla_is LR-PA.1 .confirmed_at 2026-03-12T00:09:30+08:00
wait_for 20 "all three sends of PA's report confirmed" confirmed_n notifier LR-PA.1 3
[ "$(sla LR-PA.1 .outcome)" = missed ] || fail "a late confirmation is still missed"
[ "$(sink_count "$SINK" LR-PA.1) $(sink_count "$SINK" LR-PJ.1) $(wc -l <"$SINK")" = "1 1 2" ] \
    || fail "after the restart, sink: $(cat "$SINK")"
[ "$(jq -r 'select(.report_id == "LR-PA.1") | .attempt' "$SINK")" = 1 ] || fail "PA delivered from its first send"
at 2026-03-12T00:30:00+08:00
[ "$(sla LR-PA.1 .attempts)" = 3 ] || fail "a confirmed report was re-sent"
ok "delivered exactly once and confirmed when the notifier returns; confirmation survives its restart"
stop_soft notifier
stop_soft sitewatchd

# ------------------------------------------------------------------ B
SINK_B=$WORK/embedded.jsonl
rm -rf "$WORK/data"
start_sitewatchd --notifier on --notifier-sink "file:$SINK_B" --log-level info
at 2026-03-11T09:00:00+08:00
sw registry import "$SRC/tests/integration/data/policy.yaml" >/dev/null 2>&1 || fail "registry import (B)"
at 2026-03-11T10:00:00+08:00
rep PY 5 b1
wait_for 20 "the embedded notifier's confirmation" sla_is LR-PY.1 .outcome met
[ -d "$WORK/data/notifier" ] || fail "the embedded notifier keeps its state in <data>/notifier"
stop_hard sitewatchd
start_sitewatchd --notifier on --notifier-sink "file:$SINK_B" --log-level info
rep PM 5 b2
wait_for 20 "the embedded notifier's confirmation after kill -9" sla_is LR-PM.1 .outcome met
at 2026-03-11T11:00:00+08:00
[ "$(sink_count "$SINK_B" LR-PY.1) $(sink_count "$SINK_B" LR-PM.1) $(wc -l <"$SINK_B")" = "1 1 2" ] \
    || fail "embedded sink: $(cat "$SINK_B")"
ok "sitewatchd --notifier on: delivered once and met, across a kill -9 of the daemon"
stop_soft sitewatchd

# ------------------------------------------------------------------ C
SINK_C=$WORK/four.jsonl
start_four
at 2026-03-11T09:00:00+08:00
sw registry import "$SRC/tests/integration/data/policy.yaml" >/dev/null 2>&1 || fail "registry import (C)"
at 2026-03-11T10:00:00+08:00
start_notifier notifier-c "$SINK_C"
rep PY 5 c1
stop_hard escalation                          # mid-way: the red may be anywhere in the chain
rep PN 5 c2
start_service escalation
rep PM 5 c3
stop_hard notify
rep PR 5 c4
start_service notify
stop_hard escalation
stop_hard notify
stop_hard notifier-c
rep PA 5 c5
start_service notify
start_service escalation
rep PJ 5 c6
start_notifier notifier-c "$SINK_C"
at 2026-03-11T10:06:00+08:00                  # re-sends of whatever was not confirmed yet
WANT="LR-PA.1 LR-PJ.1 LR-PM.1 LR-PN.1 LR-PR.1 LR-PY.1"
all_met () { [ "$(sw --json sla | jq -r '[.[] | select(.outcome == "met") | .report_id] | sort | join(" ")')" = "$WANT" ]; }
wait_for 45 "every red confirmed in the four-process form" all_met
[ "$(jq -r .report_id "$SINK_C" | sort | tr '\n' ' ')" = "$WANT " ] \
    || fail "four-process sink (each exactly once): $(jq -r .report_id "$SINK_C" | tr '\n' ' ')"
ok "escalation, notify and the notifier killed -9 mid-way: each red reached the sink exactly once, confirmed"

# ------------------------------------------------------------------ D
# A sink that fails blocks the notifier (nothing after it is delivered, the
# order is kept) and is retried with backoff. A crash after the sink took a
# report but before the notifier recorded it: the file is searched, the
# report is not written twice.
SINK_D=$WORK/missing/d.jsonl                   # its directory does not exist yet
start_notifier notifier-d "$SINK_D"
sink_failures () { [ "$(log_count notifier-d "event=sink_failed report_id=LR-PY.1")" -ge 3 ]; }
wait_for 20 "the failing sink retried" sink_failures
grep -q "event=sink_failed report_id=LR-PY.1 tries=1 retry_in_ms=250 " "$WORK/notifier-d.log" \
    && grep -q "event=sink_failed report_id=LR-PY.1 tries=2 retry_in_ms=500 " "$WORK/notifier-d.log" \
    || fail "no backoff: $(grep sink_failed "$WORK/notifier-d.log" | head -3)"
[ "$(log_count notifier-d "event=delivered")" = 0 ] || fail "delivered past a failing sink"
stop_hard notifier-d
mkdir "$WORK/missing"
grep '"report_id":"LR-PY.1"' "$SINK_C" >"$SINK_D"  # as if the sink wrote it just before the crash
start_notifier notifier-d "$SINK_D"
sink_d_full () { [ "$(wc -l <"$SINK_D")" -ge 6 ]; }
wait_for 20 "the recovered notifier's deliveries" sink_d_full
grep -q "event=recovering report_id=LR-PY.1 sink_has=yes" "$WORK/notifier-d.log" \
    || fail "no recovery of the report caught in flight"
[ "$(jq -r .report_id "$SINK_D" | tr '\n' ' ')" = "$(jq -r .report_id "$SINK_C" | tr '\n' ' ')" ] \
    || fail "order or count after recovery: $(jq -r .report_id "$SINK_D" | tr '\n' ' ')"
ok "a failing sink blocks and is retried with backoff; a report caught in flight by a crash is not doubled"
for svc in intake rules escalation notify notifier-c notifier-d; do stop_soft "$svc"; done
echo "6 passed, 0 failed"
