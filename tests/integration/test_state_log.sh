# Rules writes states back (services/rules/README.md, "The report path"):
# a changed state is appended to "state_log" and moved into "states" at a
# checkpoint (every 2 s, 16 384 projects, before a close or an import).
# Here rules is killed with -9 while its log holds the latest states: after
# the restart every project reads as the reports left it (it says it read
# the log: event=state_log_read), a checkpoint later moves them, a clean
# restart keeps them, and the period close judges from them. Four-process
# form.
source "$(dirname "$0")/lib.sh" "$1" "$2"

start_service notify
start_service escalation
start_service rules --log-level info
start_service intake
wait_ready
sw clock set 2026-03-11T10:00:00+08:00 >/dev/null
sw registry import "$SRC/tests/integration/data/mini.yaml" >/dev/null 2>&1

report () { # id project percent
    local st
    st=$(sw --timeout 30000 --json report --project "$2" --percent "$3" --id "$1" \
             --observed-at 2026-03-11T10:00:00+08:00 | jq -r .status)
    [ "$st" = accepted ] || fail "report $1: $st"
}
actual () { sw --json project "$1" | jq -r '.status.actual_pct'; }
level () { sw --json project "$1" | jq -r '.status.level'; }

# P1 on plan, then a little ahead; P2 behind by 15 points: red.
for i in 1 2 3 4 5; do report "p1-$i" P1 $((25 + i)); done
report p2-red P2 10
[ "$(actual P1)" = 30 ] || fail "P1 actual $(actual P1) before the kill, want 30"
stop_hard rules
start_service rules --log-level info
wait_ready
[ "$(actual P1)" = 30 ] || fail "P1 actual $(actual P1) after kill -9, want 30 (from the log)"
[ "$(level P2)" = red ] || fail "P2 is $(level P2) after kill -9, want red"
n=$(grep -c 'event=state_log_read' "$WORK/rules.log" || true)
[ "$n" -ge 1 ] || fail "rules did not read a state log after kill -9: the test missed its path"
echo "  after kill -9: $(grep -o 'event=state_log_read.*' "$WORK/rules.log" | tail -1)"

# Past the interval, the next report checkpoints the log first.
sleep 2.5
report p1-6 P1 33
stop_soft rules
start_service rules --log-level info
wait_ready
[ "$(actual P1)" = 33 ] || fail "P1 actual $(actual P1) after a clean restart, want 33"
[ "$(level P2)" = red ] || fail "P2 is $(level P2) after a clean restart, want red"
[ "$(sw --json project P1 | jq '.reports | length')" = 6 ] || fail "P1 does not hold its 6 reports"

# The close (period 3 ends 2026-03-13) reads "states": P1 and P2 have
# reports in the period, so only P3.. turn yellow for want of one.
sw clock set 2026-03-13T00:00:01+08:00 >/dev/null
for i in $(seq 1 50); do
    [ "$(sw --json digest 2>/dev/null | jq -r '.period // empty')" != "" ] && break
    sleep 0.2
done
[ "$(level P2)" = red ] || fail "P2 is $(level P2) after the close, want red"
[ "$(level P1)" = green ] || fail "P1 is $(level P1) after the close, want green"
ok "state log: the latest states survive kill -9 and a clean restart, and the close judges them"
