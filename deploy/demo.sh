#!/usr/bin/env bash
# The main job on its embedded default: install what is missing, build, start
# sitewatchd (manual clock, fresh data in demo-out/), import the Jiangdong
# registry (86 projects), replay a scripted month of progress reports, then
# show the status board and the red warnings that reached a subscriber.
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/setup.sh
[ "${DEMO_NO_BUILD:-0}" = 1 ] || deploy/build.sh
OUT=$PWD/demo-out
rm -rf "$OUT"
mkdir -p "$OUT"
export SITEWATCH_ENDPOINT=${SITEWATCH_ENDPOINT:-tcp://127.0.0.1:7600}
SW=build/sitewatch
setsid build/sitewatchd --data "$OUT/data" --clock manual --endpoint "$SITEWATCH_ENDPOINT" \
    --notifier on --notifier-sink "file:$OUT/leadership.jsonl" --log-level warn </dev/null >"$OUT/sitewatchd.log" 2>&1 &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do $SW --timeout 200 clock show >/dev/null 2>&1 && break; sleep 0.1; done

echo "== sitewatchd pid $PID, data in $OUT/data, endpoint $SITEWATCH_ENDPOINT"
$SW clock set 2026-03-02T09:00:00+08:00
$SW registry import data/jiangdong-registry.yaml 2>/dev/null
settle () {   # until no leadership report waits for its confirmation (at most 3 s)
    for _ in $(seq 1 30); do
        [ "$($SW --json sla | jq '[.[] | select(.confirmed_at == null)] | length')" = 0 ] && return
        sleep 0.1
    done
}
echo "== a scripted month: 10 reporting periods of 3 days"
# Profiles by project index: most on plan; every 7th slips 3 points a period
# (yellow, then red by two yellows in a row); every 11th stops reporting after
# the fourth period (no_report); JD003 reports a major problem in period 6
# and resolves it in period 8; JD010 falls seriously behind with a
# legitimate reason that the office approves.
for period in $(seq 1 10); do
    n=0
    # one line per project: index, id, level, planned percent now
    while read -r i p level planned; do
        [ "$level" = not_started ] && continue
        lag=0
        (( i % 7 == 3 )) && lag=$(( 3 * period ))
        (( i % 11 == 5 && period > 4 )) && continue
        extra=()
        [ "$p" = JD003 ] && [ "$period" = 6 ] && extra=(--problem "塔吊基础沉降，停工整改" --major)
        [ "$p" = JD003 ] && [ "$period" = 8 ] && extra=(--resolves "demo-JD003-6/1")
        if [ "$p" = JD010 ] && [ "$period" -ge 5 ]; then lag=18; extra=(--reason "征地拆迁未完成"); fi
        pct=$(awk -v a="$planned" -v l="$lag" 'BEGIN { v = a - l + 1; if (v < 0) v = 0; if (v > 100) v = 100; printf "%.2f", v }')
        source=commissioner; (( i % 3 == 0 )) && source=unit
        $SW report --project "$p" --percent "$pct" --id "demo-$p-$period" --source "$source" \
            "${extra[@]}" >/dev/null
        n=$((n + 1))
    done < <($SW --json status | jq -r 'sort_by(.project_id) | to_entries[] | "\(.key) \(.value.project_id) \(.value.level) \(.value.planned_pct // 0)"')
    if [ "$period" = 6 ]; then $SW reason JD010 approve --note "区政府确认" >/dev/null; fi
    settle
    # a day at a time, and like a real day, time for the leadership notifier
    # to deliver and confirm what arose before the clock moves on
    for day in 1 2 3; do
        line=$($SW clock advance 1d)
        settle
    done
    echo "period $period: $n reports; $line"
done

echo
echo "== status board"
$SW status
echo
echo "== red warnings that reached a subscriber (sitewatch subscribe --from 1 warning.red)"
$SW subscribe --no-follow --from 1 warning.red
echo
echo "== same-day leadership reports (sitewatch sla), delivered by the notifier to $OUT/leadership.jsonl"
$SW sla | tail -4
echo "$(wc -l <"$OUT/leadership.jsonl") leadership reports in the notifier's sink"
echo
echo "== the latest progress express report (sitewatch digest)"
$SW digest --format md >"$OUT/express-report.md"
$SW digest --format html >"$OUT/express-report.html"
head -12 "$OUT/express-report.md"
echo "..."
echo "express report written to $OUT/express-report.html and $OUT/express-report.md"
echo "demo data kept in $OUT (sitewatchd log: $OUT/sitewatchd.log)"
