#!/usr/bin/env bash
# A period close judged in slices survives kill -9 of rules between and
# inside slices. Four processes, 5 000 projects, --close-slice 50: the close
# of period 3 takes 100 transactions. Rules is killed with -9 again and again
# while it closes and started again; the close goes on from where it stopped
# (rules logs close_resumed: at least one kill must land inside the close).
# Afterwards every project has exactly one warning event (green -> yellow,
# no_report) at the subscriber, none doubled or lost, and exactly one express
# report for the period, counting 5 000 yellow.
source "$(dirname "$0")/lib.sh" "$1" "$2"

N=5000
"$BUILD/sitewatch-bench" gen-registry "$N" >"$WORK/registry.yaml"
start_four --close-slice 50
sw clock set 2026-03-11T10:00:00+08:00 >/dev/null
sw registry import "$WORK/registry.yaml" >/dev/null || fail "registry import"
# wait until rules has applied it (the last project answers)
first=$(grep -o 'id: P[0-9]*' "$WORK/registry.yaml" | tail -1 | cut -d' ' -f2)
for i in $(seq 1 100); do
    sw --json project "$first" >/dev/null 2>&1 && break
    sleep 0.1
done
[ "$i" -lt 100 ] || fail "registry not applied"

# Period 3 (2026-03-10..12) closes at 2026-03-13 00:00: nobody reported.
sw clock set 2026-03-13T00:00:01+08:00 >/dev/null
for k in 1 2 3 4 5 6 7 8; do
    sleep "0.0$((RANDOM % 7 + 3))"
    stop_hard rules
    start_service rules --close-slice 50 --log-level info
    sleep 0.1
done

for i in $(seq 1 300); do
    sw --json digest --period 3 >"$WORK/digest.json" 2>/dev/null && break
    sleep 0.2
done
[ "$i" -lt 300 ] || fail "no express report for period 3 after the kills"
[ "$(jq -r .yellow "$WORK/digest.json")" = "$N" ] \
    || fail "express report counts $(jq -r .yellow "$WORK/digest.json") yellow, want $N"
[ "$(jq -r '.no_report | length' "$WORK/digest.json")" = "$N" ] || fail "no_report list"
# each project listed once in every list (none doubled by a slice redone)
for f in '.projects | length' '[.projects[].project_id] | unique | length' '.flagged | length' \
         '[.commissioners[].projects | length] | add'; do
    [ "$(jq -r "$f" "$WORK/digest.json")" = "$N" ] || fail "express report: $f is not $N"
done

sw --json subscribe --no-follow --from 1 warning. >"$WORK/events"
events=$(wc -l <"$WORK/events")
distinct=$(jq -r .event.event_id "$WORK/events" | sort -u | wc -l)
projects=$(jq -r .event.project_id "$WORK/events" | sort -u | wc -l)
yellow=$(jq -r 'select(.event.to == "yellow") | .event.project_id' "$WORK/events" | wc -l)
echo "warning events=$events distinct=$distinct projects=$projects yellow=$yellow"
[ "$events" = "$N" ] && [ "$distinct" = "$N" ] && [ "$projects" = "$N" ] && [ "$yellow" = "$N" ] \
    || fail "want $N events, one yellow per project"
[ "$(sw --json subscribe --no-follow --from 1 digest | wc -l)" = 1 ] \
    || fail "the express report was published more than once"
resumed=$(grep -c close_resumed "$WORK/rules.log" || true)
[ "$resumed" -ge 1 ] || fail "no kill landed inside the close (close_resumed never logged)"
ok "close over $N projects in slices of 50, rules killed -9 8 times ($resumed inside the close): $N events once each, one express report"
