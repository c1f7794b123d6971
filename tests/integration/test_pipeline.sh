# Integration: the whole chain through the real binaries, in both forms
# (sitewatchd over inproc, and four processes over tcp on loopback). Import a
# registry, push reports in manual clock, and check that exactly the expected
# warning events reach a subscriber, with a leadership report for each red.
source "$(dirname "$0")/lib.sh" "$1" "$2"

scenario () {
    local form=$1
    sw clock set 2026-03-10T09:00:00+08:00 >/dev/null
    sw registry import "$SRC/tests/integration/data/mini.yaml" >/dev/null 2>&1 \
        || fail "$form: registry import"
    sw clock set 2026-03-11T10:00:00+08:00 >/dev/null
    # planned on 2026-03-11 = 25 %
    [ "$(sw --json report --project P1 --percent 30 --id r1 | jq -r .status)" = accepted ] || fail "$form: r1"
    sw report --project P1 --percent 31 --id r1b --reporter U7 >/dev/null
    # intake journals a report from its bytes, adding what it stamps: the
    # project's commissioner when no reporter is named, and received_at
    got=$(sw --json project P1 | jq -r '[.reports[] | .report_id + ":" + .reporter_id + ":" + (.received_at != null | tostring)] | join(" ")')
    [ "$got" = "r1:C1:true r1b:U7:true" ] || fail "$form: stored reports $got"
    sw report --project P2 --percent 18 --id r2 >/dev/null   # lag 7: yellow
    sw report --project P3 --percent 8 --id r3 >/dev/null    # lag 17: red
    # the same report again is a duplicate, with no second effect
    [ "$(sw --json report --project P3 --percent 8 --id r3 | jq -r .status)" = duplicate ] \
        || fail "$form: duplicate not detected"
    sw clock set 2026-03-13T00:00:00+08:00 >/dev/null        # close of period 3
    sw clock advance 1d >/dev/null                           # 2026-03-14, planned 32.5
    sw report --project P2 --percent 20 --id r4 >/dev/null   # yellow again -> red (consecutive)
    sw report --project P3 --percent 40 --id r5 >/dev/null   # ahead: green

    sw --json subscribe --no-follow --from 1 warning. >"$WORK/$form.warnings"
    sw --json subscribe --no-follow --from 1 leadership. >"$WORK/$form.leaders"
    jq -c '[.topic, .event.from, .event.to, [.event.reasons[].code]]' "$WORK/$form.warnings" \
        >"$WORK/$form.got"
    cat >"$WORK/$form.want" <<'WANT'
["warning.yellow.P2","green","yellow",["lag"]]
["warning.red.P3","green","red",["serious_lag"]]
["warning.red.P2","yellow","red",["lag","consecutive_yellow"]]
["warning.green.P3","red","green",[]]
WANT
    diff -u "$WORK/$form.want" "$WORK/$form.got" || fail "$form: warning events differ"
    ok "$form: exact warning events reached the subscriber"

    # first sends only: unconfirmed reports are re-sent (attempt > 1) as time passes
    jq -r 'select(.event.attempt == 1) | [.topic, .event.project_id, .event.leader_id, .event.due_at] | @tsv' \
        "$WORK/$form.leaders" >"$WORK/$form.lgot"
    printf 'leadership.L1\tP3\tL1\t2026-03-11T23:59:59.999+08:00\nleadership.L2\tP2\tL2\t2026-03-14T23:59:59.999+08:00\n' \
        >"$WORK/$form.lwant"
    diff -u "$WORK/$form.lwant" "$WORK/$form.lgot" || fail "$form: leadership reports differ"
    [ "$(jq -r .event.report_id "$WORK/$form.leaders" | sort -u | wc -l)" = 2 ] \
        || fail "$form: leadership report ids"
    # nobody confirmed: the report raised on the 11th was re-sent when time moved
    [ "$(jq -r 'select(.event.project_id == "P3") | .event.attempt' "$WORK/$form.leaders" | tr '\n' ' ')" = "1 2 3 " ] \
        || fail "$form: re-sends of the unconfirmed report"
    ok "$form: one same-day leadership report per red, due at local midnight, re-sent until confirmed"

    # sequence numbers are contiguous across topics
    sw --json subscribe --no-follow --from 1 | jq -r .seq >"$WORK/$form.seqs"
    [ "$(cat "$WORK/$form.seqs" | tr '\n' ' ')" = "$(seq 1 "$(wc -l <"$WORK/$form.seqs")" | tr '\n' ' ')" ] \
        || fail "$form: sequence numbers $(tr '\n' ' ' <"$WORK/$form.seqs")"
    # a subscriber that was away asks from a sequence number
    [ "$(sw --json subscribe --no-follow --from 4 warning. | jq -r .topic | head -1)" = warning.red.P2 ] \
        || fail "$form: replay from seq"
    ok "$form: replay from a sequence number"

    sw --json status >"$WORK/$form.status"
    [ "$(jq -r '[.[] | .project_id + ":" + .level] | join(" ")' "$WORK/$form.status")" = "P2:red P1:green P3:green" ] \
        || fail "$form: status board $(jq -c . "$WORK/$form.status")"
    ok "$form: status board sorted red, yellow, green"
}

# The sample registry: 86 projects; three started ones pushed to known lags.
scenario_sample () {
    local form=$1 planned
    sw clock set 2026-03-16T10:00:00+08:00 >/dev/null
    sw registry import "$SRC/data/jiangdong-registry.yaml" >/dev/null 2>&1 || fail "$form: import sample"
    [ "$(sw --json status | jq length)" = 86 ] || fail "$form: 86 projects on the board"
    [ "$(sw --json status --level not_started | jq length)" -gt 0 ] || fail "$form: planned projects"
    pct () { sw --json status | jq -r --arg p "$1" --argjson d "$2" \
        '.[] | select(.project_id == $p) | (.planned_pct - $d) | if . < 0 then 0 else . end | . * 100 | floor / 100'; }
    sw report --project JD003 --percent "$(pct JD003 1)" --id s1 >/dev/null     # on plan: no event
    sw report --project JD002 --percent "$(pct JD002 6)" --id s2 >/dev/null     # lag 6: yellow
    sw report --project JD001 --percent "$(pct JD001 20)" --id s3 >/dev/null    # lag 20: red
    sw --json subscribe --no-follow --from 1 warning. \
        | jq -c '[.topic, .event.from, .event.to, [.event.reasons[].code | select(. != "forecast_late")]]' >"$WORK/$form.sample"
    printf '%s\n' '["warning.yellow.JD002","green","yellow",["lag"]]' '["warning.red.JD001","green","red",["serious_lag"]]' \
        >"$WORK/$form.sample.want"
    diff -u "$WORK/$form.sample.want" "$WORK/$form.sample" || fail "$form: sample registry events"
    [ "$(sw --json subscribe --no-follow --from 1 leadership. | jq -r .event.leader_id)" = \
      "$(sw --json project JD001 | jq -r .project.leader)" ] || fail "$form: leadership report to JD001 leader"
    ok "$form: sample registry: exact events, and the red reached JD001 leader"
}

start_sitewatchd
scenario sitewatchd
stop_soft sitewatchd
rm -rf "$WORK/data"
start_sitewatchd
scenario_sample sitewatchd
stop_soft sitewatchd

start_four
scenario four
for svc in intake rules escalation notify; do stop_soft "$svc"; done
rm -rf "$WORK"/data-*
start_four
scenario_sample four
for svc in intake rules escalation notify; do stop_soft "$svc"; done
echo "4 passed, 0 failed"
