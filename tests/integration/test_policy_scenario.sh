# Integration: every rule of the red/yellow/green warning policy (SPEC 4) in
# one scripted scenario over five periods, manual clock, real binaries
# (sitewatchd). Registry: data/policy.yaml (planned = 2.5 % a day from
# 2026-03-01; period 3 = 03-10..03-12). Each project shows one rule:
#   PY  yellow (lag), then red by two consecutive yellows; red holds while
#       still yellow at the next close and after a yellow report; green clears
#   PN  no_report at the close of a period without a report; a report clears
#   PS  planned: not_started before its start day (03-16), silently green
#       from then on, no_report at the close of its first whole period
#   PM  a major problem: red at once; green when resolved (--resolves)
#   PR  reason approved on 03-10 (reason_valid 15 days): a serious lag on
#       03-23 is softened to yellow; at the close of 03-25 it has expired: red
#   PA  a serious lag with a reason: red; the approval softens it to yellow
#   PJ  a serious lag with a reason: red; the rejection softens nothing
# Every other report is ahead of plan, so no other clause fires.
source "$(dirname "$0")/lib.sh" "$1" "$2"

at () { sw clock set "$1" >/dev/null || fail "clock set $1"; }
rep () {  # rep PROJECT PERCENT ID [more report options]
    local p=$1 pct=$2 id=$3; shift 3
    local st; st=$(sw --json report --project "$p" --percent "$pct" --id "$id" "$@" | jq -r .status)
    [ "$st" = accepted ] || fail "report $id for $p: $st"
}
level_of () { sw --json status | jq -r --arg p "$1" '.[] | select(.project_id == $p) | .level'; }
expect_level () {
    local got; got=$(level_of "$1")
    [ "$got" = "$2" ] || fail "$3: $1 is $got, expected $2"
}
reason () { sw reason "$@" >/dev/null || fail "reason $*"; }

start_sitewatchd

at 2026-03-10T09:00:00+08:00
sw registry import "$SRC/tests/integration/data/policy.yaml" >/dev/null 2>&1 || fail "registry import"
[ "$(sw --json status | jq -r '[.[] | .project_id + ":" + .level] | sort | join(" ")')" = \
  "PA:green PJ:green PM:green PN:green PR:green PS:not_started PY:green" ] \
    || fail "first judgement: $(sw --json status | jq -c '[.[] | [.project_id, .level]]')"
ok "imported projects start green, silently; a planned one is not_started"

# ---- period 3 (03-10..03-12)
at 2026-03-10T10:00:00+08:00                          # planned 22.5
rep PN 45 n1
rep PR 30 r1 --reason "court order on the land"
reason PR approve --note "court order seen"
rep PA 30 a1
rep PJ 30 j1
rep PM 30 m0
expect_level PR green "an approved reason with no lag"
at 2026-03-11T10:00:00+08:00                          # planned 25
rep PY 18 y1                                          # lag 7: yellow
rep PM 31 m1 --problem "tower crane collapsed" --major
expect_level PM red "a major problem"
at 2026-03-12T10:00:00+08:00                          # planned 27.5
rep PM 33 m2 --resolves m1/1
expect_level PM green "the major problem resolved"
expect_level PS not_started "before its start day"

# ---- close of period 3 at 03-13 00:00; period 4 (03-13..03-15)
at 2026-03-14T10:00:00+08:00                          # planned 32.5
expect_level PY yellow "still yellow at the close of period 3"
rep PY 27 y2                                          # lag 5.5: yellow again -> red
for p in PR PA PJ PM; do rep "$p" 45 "${p,,}4"; done
expect_level PY red "two yellows in a row"

# ---- close of period 4 at 03-16 00:00 (PN silent; PS's start day)
at 2026-03-16T08:00:00+08:00
expect_level PN yellow "no report during period 4"
expect_level PS green "a planned project on its start day"
expect_level PY red "red holds at the close while still yellow"
at 2026-03-17T10:00:00+08:00                          # planned 40
rep PY 34 y3                                          # lag 6: yellow, but red holds
expect_level PY red "red holds on a yellow report"
rep PN 55 n5
expect_level PN green "a report after no_report"
for p in PR PA PJ PM; do rep "$p" 55 "${p,,}5"; done
at 2026-03-18T10:00:00+08:00                          # planned 42.5
rep PY 45 y4
expect_level PY green "red clears on green"

# ---- close of period 5 at 03-19 00:00 (PS silent in its first period)
at 2026-03-20T10:00:00+08:00                          # planned 47.5; PS 10
expect_level PS yellow "no report in a planned project's first period"
rep PS 20 s6
expect_level PS green "the planned project reports"
for p in PY PN PR PA PJ PM; do rep "$p" 60 "${p,,}6"; done

# ---- close of period 6 at 03-22 00:00; period 7 (03-22..03-24)
at 2026-03-23T10:00:00+08:00                          # planned 55; PS 17.5
rep PR 38 r7                                          # lag 17, reason approved 03-10: softened
expect_level PR yellow "a serious lag with an active approved reason"
rep PA 38 a7 --reason "design change ordered by the city"
expect_level PA red "a serious lag with a pending reason"
reason PA approve
expect_level PA yellow "the approval softens the serious lag"
rep PJ 38 j7 --reason "rain"
expect_level PJ red "a serious lag with a pending reason"
reason PJ reject --note "not a legitimate reason"
expect_level PJ red "a rejected reason softens nothing"
for p in PY PN PM; do rep "$p" 70 "${p,,}7"; done
rep PS 30 s7

# ---- close of period 7 at 03-25 00:00: PR's reason (03-10 + 15 days) has expired
at 2026-03-25T08:00:00+08:00
expect_level PR red "the reason expired"
expect_level PA yellow "a reason approved on 03-23 is still active"
ok "levels along the way"

# ---- the exact warning events, in order, at a subscriber
sw --json subscribe --no-follow --from 1 warning. >"$WORK/warnings"
jq -c '[.topic, .event.from, .event.to, [.event.reasons[].code], .event.at, .event.period]' \
    "$WORK/warnings" >"$WORK/got"
cat >"$WORK/want" <<'WANT'
["warning.yellow.PY","green","yellow",["lag"],"2026-03-11T10:00:00+08:00",3]
["warning.red.PM","green","red",["major_problem"],"2026-03-11T10:00:00+08:00",3]
["warning.green.PM","red","green",[],"2026-03-12T10:00:00+08:00",3]
["warning.red.PY","yellow","red",["lag","consecutive_yellow"],"2026-03-14T10:00:00+08:00",4]
["warning.yellow.PN","green","yellow",["no_report"],"2026-03-16T00:00:00+08:00",4]
["warning.green.PN","yellow","green",[],"2026-03-17T10:00:00+08:00",5]
["warning.green.PY","red","green",[],"2026-03-18T10:00:00+08:00",5]
["warning.yellow.PS","green","yellow",["no_report"],"2026-03-19T00:00:00+08:00",5]
["warning.green.PS","yellow","green",[],"2026-03-20T10:00:00+08:00",6]
["warning.yellow.PR","green","yellow",["serious_lag"],"2026-03-23T10:00:00+08:00",7]
["warning.red.PA","green","red",["serious_lag"],"2026-03-23T10:00:00+08:00",7]
["warning.yellow.PA","red","yellow",["serious_lag"],"2026-03-23T10:00:00+08:00",7]
["warning.red.PJ","green","red",["serious_lag"],"2026-03-23T10:00:00+08:00",7]
["warning.red.PR","yellow","red",["serious_lag"],"2026-03-25T00:00:00+08:00",7]
WANT
diff -u "$WORK/want" "$WORK/got" || fail "warning events differ"
ok "exact warning events (from, to, reasons, at, period) reached the subscriber"

# ---- the figures behind the reasons
j() { jq -c "$1" "$WORK/warnings"; }
[ "$(j 'select(.topic == "warning.red.PY") | .event.reasons[0] | [.lag_pp, .planned_pct, .actual_pct, .threshold]')" \
  = "[5.5,32.5,27,5]" ] || fail "PY lag figures"
[ "$(j 'select(.topic == "warning.red.PY") | .event.reasons[1] | [.period, (.detail | test("previous close"))]')" \
  = "[4,true]" ] || fail "consecutive_yellow names its period and the previous close"
[ "$(j 'select(.topic == "warning.red.PM") | .event.reasons[0].problem_id')" = '"m1/1"' ] \
    || fail "major_problem names the problem id"
[ "$(j 'select(.topic == "warning.yellow.PR") | .event.reasons[0] | [.lag_pp, .threshold, (.detail | test("softened"))]')" \
  = "[17,15,true]" ] || fail "softened serious lag figures"
[ "$(j 'select(.topic == "warning.red.PR") | .event.reasons[0] | [.lag_pp, .planned_pct, .actual_pct, (.detail // "" | test("softened"))]')" \
  = "[22,60,38,false]" ] || fail "expired reason: serious lag judged at the close"
[ "$(j 'select(.topic == "warning.yellow.PN") | .event.reasons[0].period')" = 4 ] \
    || fail "no_report names the closed period"
ok "reasons carry their figures (lag, planned, actual, threshold, period, problem id)"

# ---- one project's history and status
sw --json project PY >"$WORK/py.json"
[ "$(jq -c '[.history[] | [.from, .to, [.reasons[].code]]]' "$WORK/py.json")" \
  = '[["green","yellow",["lag"]],["yellow","red",["lag","consecutive_yellow"]],["red","green",[]]]' ] \
    || fail "PY history: $(jq -c .history "$WORK/py.json")"
[ "$(jq -r '.status.level' "$WORK/py.json")" = green ] || fail "PY status"
sw --json project PJ >"$WORK/pj.json"
[ "$(jq -c '[.status.level, [.status.reasons[].code], .status.lag_pp]' "$WORK/pj.json")" \
  = '["red",["serious_lag"],22]' ] || fail "PJ status: $(jq -c .status "$WORK/pj.json")"
[ "$(jq -r '.history | length' "$WORK/pj.json")" = 1 ] || fail "PJ: the rejection made an event"
ok "sitewatch project shows the level history with reasons and the current status"

# ---- the board, sorted red, yellow, green; each red raised a leadership report
[ "$(sw --json status | jq -r '[.[] | .level] | join(" ")')" \
  = "red red yellow green green green green" ] || fail "board order: $(sw --json status | jq -c '[.[] | [.project_id, .level]]')"
[ "$(sw --json subscribe --no-follow --from 1 leadership. | jq -r 'select(.event.attempt == 1) | .event.project_id' | tr '\n' ' ')" \
  = "PM PY PA PJ PR " ] || fail "one leadership report per event into red"
ok "board sorted red, yellow, green; one leadership report per red"

stop_soft sitewatchd
echo "6 passed, 0 failed"
