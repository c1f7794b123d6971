# Integration: the supervision ladder (SPEC 5) through the real binaries, in
# manual clock, over a registry with the National Day holidays and their
# exchanged workdays (data/ladder.yaml). One scenario, run in both forms:
#   A (P1) a minor problem resolved on site;
#   B (P2) unresolved on site -> letter -> sign -> feedback -> review -> closed
#          (a review before the feedback is refused);
#   C (P3) unresolved -> letter, signed, left overdue -> special meeting; more
#          time asked after the due date is refused;
#   D (P4) a major problem unresolved on site -> special meeting (its red case
#          closed by hand);
#   E (P5) an extension refused, then one granted that moves the due date,
#          then the problem reported solved;
#   F (P6) nothing done: the on-site deadline passes -> letter.
# Between steps the escalation service is killed with -9 and restarted (the
# four-process form; sitewatchd as a whole in the embedded form), twice while
# a deadline passes. Then: every case where it belongs, the accountability
# record matching it all, letter and plan numbers contiguous and never
# reused, every stage change published exactly once, and the same final
# state in both forms.
source "$(dirname "$0")/lib.sh" "$1" "$2"

REG="$SRC/tests/integration/data/ladder.yaml"
EOD=T23:59:59.999+08:00   # the end of a local day: every deadline's instant

at () { sw clock set "$1" >/dev/null || fail "$FORM: clock set $1"; }
rep () {  # rep PROJECT ID [report options...]
    local p=$1 id=$2; shift 2
    local st; st=$(sw --json report --project "$p" --percent 30 --id "$id" "$@" | jq -r .status)
    [ "$st" = accepted ] || fail "$FORM: report $id: $st"
}
case_of () {  # case_of PROJECT CAUSE -> the case id
    sw --json cases --project "$1" | jq -r --arg c "$2" '.[] | select(.cause == $c) | .case_id'
}
field () { sw --json cases | jq -r --arg id "$1" ".[] | select(.case_id == \$id) | $2"; }
expect_field () {  # expect_field CASE JQ WANT
    local got; got=$(field "$1" "$2")
    [ "$got" = "$3" ] || fail "$FORM: $1 $2 = '$got', want '$3'"
}
act () {  # act CASE ACTION [options...]: must be applied
    sw case "$@" >>"$WORK/$FORM.actions" 2>&1 || fail "$FORM: case $* failed: $(tail -1 "$WORK/$FORM.actions")"
}
refused () {  # refused CODE CASE ACTION [options...]: must be refused with CODE, exit 1
    local code=$1; shift
    local rc=0
    sw case "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
    [ "$rc" = 1 ] || fail "$FORM: case $* exited $rc, want 1 ($code)"
    grep -q "sitewatch: $code: " "$WORK/err" || fail "$FORM: case $*: want $code, got: $(cat "$WORK/err")"
}
wait_escalation () {
    local i
    for i in $(seq 1 100); do
        sw --timeout 500 cases >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    fail "$FORM: escalation did not come back"
}
BOUNCES=0
bounce () {  # kill -9 escalation (or the whole daemon) and bring it back
    BOUNCES=$((BOUNCES + 1))
    if [ "$FORM" = four ]; then
        stop_hard escalation
        start_service escalation
    else
        stop_hard sitewatchd
        start_sitewatchd
    fi
    wait_escalation
}
down () { [ "$FORM" = four ] && stop_hard escalation || true; }
up () { if [ "$FORM" = four ]; then start_service escalation; wait_escalation; fi; }

scenario () {
    at 2026-09-25T09:00:00+08:00                   # a Friday
    sw registry import "$REG" >/dev/null 2>&1 || fail "$FORM: registry import"
    rep P1 r1 --problem "材料供应延误"
    rep P2 r2 --problem "临时用电未接通"
    rep P3 r3 --problem "施工图审查滞后"
    rep P4 r4 --problem "征地拆迁受阻" --major      # major: the project turns red too
    rep P5 r5 --problem "雨季排水方案未定"
    rep P6 r6 --problem "渣土外运许可未批"
    bounce
    A=$(case_of P1 problem:r1/1) B=$(case_of P2 problem:r2/1) C=$(case_of P3 problem:r3/1)
    D=$(case_of P4 problem:r4/1) R=$(case_of P4 red) E=$(case_of P5 problem:r5/1)
    F=$(case_of P6 problem:r6/1)
    for id in "$A" "$B" "$C" "$D" "$R" "$E" "$F"; do
        [ -n "$id" ] || fail "$FORM: a case did not open"
        # two working days from Friday: the exchanged Sunday 09-27, Monday 09-28
        expect_field "$id" '.stage + " " + .status + " " + .due_at' "onsite_meeting open 2026-09-28$EOD"
    done
    [ "$(sw --json cases | jq length)" = 7 ] || fail "$FORM: not 7 cases"
    [ "$(field "$R" .severity)/$(field "$D" .severity)/$(field "$A" .severity)" = major/major/minor ] \
        || fail "$FORM: severities"
    # a report sent again opens nothing (one case per project and cause)
    [ "$(sw --json report --project P1 --percent 30 --id r1 --problem "材料供应延误" | jq -r .status)" = duplicate ] \
        || fail "$FORM: duplicate report"
    [ "$(sw --json cases | jq length)" = 7 ] || fail "$FORM: a duplicate opened a case"
    ok "$FORM: seven cases on site, due over the exchanged Sunday"

    # A: resolved on site
    act "$A" meeting --outcome resolved --units "琼州路桥集团, 桂林洋街道" --note "现场协调解决"
    expect_field "$A" '.stage + " " + .status' "onsite_meeting closed"
    refused already_closed "$A" close --note "again"
    refused case_closed "$A" escalate --note "too late"
    refused unknown_case CASE-999999 close --note "no such case"
    bounce

    # B: the whole letter
    act "$B" meeting --outcome unresolved --unit 海口市政公司 --person 王工 --units 海口市政公司,供电局
    expect_field "$B" '.stage + " " + .letter + " " + .due_at' "supervision_letter issued 2026-10-08$EOD"
    refused missing_responsible "$C" meeting --outcome unresolved --unit 南海建工集团
    refused wrong_stage "$B" meeting --outcome resolved
    bounce
    act "$B" sign --note "王工签收"
    refused no_feedback "$B" review --note "too early"
    bounce
    act "$B" feedback --note "已接通临时用电"
    act "$B" review --note "核实办结"
    expect_field "$B" '.stage + " " + .status + " " + .letter' "supervision_letter closed feedback"

    # C: a letter that will go overdue; D: major, straight to the special meeting
    act "$C" meeting --outcome unresolved --unit 南海建工集团 --person 李工
    act "$C" sign --note "李工签收"
    act "$D" meeting --outcome unresolved --unit 海南生态环境公司 --person 赵总 --units 海南生态环境公司,三江镇
    expect_field "$D" '.stage + " " + .status + " " + (.due_at|tostring)' "special_meeting open null"
    act "$R" close --note "由问题案件 $D 处理"
    bounce
    ok "$FORM: resolved on site; the whole letter; a major problem to the special meeting"

    # E: more time, refused then granted, before the due date
    at 2026-09-28T10:00:00+08:00
    act "$E" extend --until 2026-10-09 --reason "台风停工"
    refused extension_pending "$E" extend --until 2026-10-12 --reason "再延"
    act "$E" refuse --note "理由不足"
    refused nothing_pending "$E" grant
    act "$E" extend --until 2026-10-09 --reason "台风停工三天，附气象证明"
    bounce
    act "$E" grant --note "同意延期"
    expect_field "$E" '.due_at + " " + (.extensions_asked|tostring) + "/" + (.extensions_granted|tostring)' \
        "2026-10-09$EOD 2/1"
    ok "$FORM: an extension refused, then one granted moves the due date"

    # F: the on-site deadline passes while escalation is down
    down
    at 2026-09-29T09:00:00+08:00
    up
    expect_field "$F" '.stage + " " + .letter + " " + .due_at + " " + .missed_due_at' \
        "supervision_letter issued 2026-10-12$EOD 2026-09-28$EOD"
    act "$F" sign --note "签收"
    expect_field "$E" '.stage + " " + .status' "onsite_meeting open"

    # C: the letter's deadline (10-08, after the holidays) passes while down
    at 2026-10-08T18:00:00+08:00
    expect_field "$C" '.stage' supervision_letter
    down
    at 2026-10-09T09:00:00+08:00
    up
    expect_field "$C" '.stage + " " + .status + " " + (.letter_overdue|tostring)' "special_meeting open true"
    refused past_due "$C" extend --until 2026-10-20 --reason "来不及"
    sw --json case "$C" | jq -e '.timeline[-1] | .action == "refused" and .code == "past_due" and .command_id != ""' \
        >/dev/null || fail "$FORM: the refusal is not in C's timeline"
    ok "$FORM: deadlines acted on once, at their own instants (four: while escalation was down)"

    # E: the problem reported solved closes its case
    rep P5 r7 --resolves r5/1
    expect_field "$E" '.status' closed
    bounce
    at 2026-10-12T09:00:00+08:00
    bounce

    # the final state
    sw --json cases | jq -c 'sort_by(.case_id)[] | [.project_id, .cause, .stage, .status, .letter, .due_at, .letter_overdue, .extensions_asked, .extensions_granted]' \
        >"$WORK/$FORM.final"
    cat >"$WORK/want.final" <<WANT
["P1","problem:r1/1","onsite_meeting","closed","","2026-09-28$EOD",false,0,0]
["P2","problem:r2/1","supervision_letter","closed","feedback","2026-10-08$EOD",false,0,0]
["P3","problem:r3/1","special_meeting","open","signed",null,true,0,0]
["P4","red","onsite_meeting","closed","","2026-09-28$EOD",false,0,0]
["P4","problem:r4/1","special_meeting","open","",null,false,0,0]
["P5","problem:r5/1","onsite_meeting","closed","","2026-10-09$EOD",false,2,1]
["P6","problem:r6/1","supervision_letter","open","signed","2026-10-12$EOD",false,0,0]
WANT
    diff -u "$WORK/want.final" "$WORK/$FORM.final" || fail "$FORM: final cases differ"
    [ "$(sw --json cases --open | jq -r '[.[].case_id] | sort | join(" ")')" = "$(printf '%s\n' "$C" "$D" "$F" | sort | tr '\n' ' ' | sed 's/ $//')" ] \
        || fail "$FORM: cases --open"
    ok "$FORM: every case where it belongs"

    # accountability, per unit
    sw --json accountability | jq -c 'sort_by(.unit)[] | [.unit, .cases, .overdue_letters, .extensions_asked, .extensions_granted, .special_meetings]' \
        >"$WORK/$FORM.acc"
    jq -c -n '[["琼州路桥集团",1,0,0,0,0],["海口市政公司",1,0,0,0,0],["南海建工集团",1,1,0,0,1],
               ["海南生态环境公司",2,0,0,0,1],["海口教育投资公司",1,0,2,1,0],["椰城文旅集团",1,0,0,0,0]]
              | sort_by(.[0])[]' >"$WORK/want.acc"
    diff -u "$WORK/want.acc" "$WORK/$FORM.acc" || fail "$FORM: accountability differs"
    ok "$FORM: the accountability record matches"

    # documents: numbers contiguous, never reused, each where it belongs
    : >"$WORK/$FORM.docs"
    for id in "$A" "$B" "$C" "$D" "$R" "$E" "$F"; do
        sw --json case "$id" | jq -r '.case_id as $c | .documents[] | [$c, .document_id, .kind, (.number|tostring)] | @tsv' \
            >>"$WORK/$FORM.docs"
    done
    sort -k2 "$WORK/$FORM.docs" | cut -f1,2 >"$WORK/$FORM.docs.got"
    printf '%s\tSL-2026-0001\n%s\tSL-2026-0002\n%s\tSL-2026-0003\n%s\tSM-2026-0001\n%s\tSM-2026-0002\n' \
        "$B" "$C" "$F" "$D" "$C" >"$WORK/docs.want"
    diff -u "$WORK/docs.want" "$WORK/$FORM.docs.got" || fail "$FORM: documents differ"
    sw --json case "$C" | jq -e '.documents[0].markdown | contains("南海建工集团") and contains("2026-10-08") and contains("施工图审查滞后")' \
        >/dev/null || fail "$FORM: the letter does not name unit, problem and due date"
    sw --json case "$C" | jq -e '.documents[1].markdown | contains("陈副市长") and contains("SL-2026-0002") and contains("李工签收")' \
        >/dev/null || fail "$FORM: the plan does not name the leader, the letter and what was tried"
    ok "$FORM: letters SL-1..3 and plans SM-1..2, each once"

    # case events: every stage change exactly once, on its topic, addressed
    sw --json subscribe --no-follow --from 1 case. >"$WORK/$FORM.events"
    jq -r '[.event.case_id, .event.to_stage, .event.status] | @tsv' "$WORK/$FORM.events" | sort | uniq -d >"$WORK/dups"
    [ ! -s "$WORK/dups" ] || fail "$FORM: stage changes published twice: $(cat "$WORK/dups")"
    jq -e -s 'all(.[]; .topic == "case." + .event.to_stage + "." + .event.project_id)' "$WORK/$FORM.events" \
        >/dev/null || fail "$FORM: a case event on the wrong topic"
    jq -r '[.event.case_id, .event.action, .event.from_stage, .event.to_stage, .event.status, .event.document_id] | @tsv' \
        "$WORK/$FORM.events" | sort >"$WORK/$FORM.ev.got"
    {
        for id in "$A" "$B" "$C" "$D" "$R" "$E" "$F"; do printf '%s\topened\t\tonsite_meeting\topen\t\n' "$id"; done
        printf '%s\tclosed\tonsite_meeting\tonsite_meeting\tclosed\t\n' "$A" "$R" "$E"
        printf '%s\tletter_issued\tonsite_meeting\tsupervision_letter\topen\tSL-2026-0001\n' "$B"
        printf '%s\tclosed\tsupervision_letter\tsupervision_letter\tclosed\t\n' "$B"
        printf '%s\tletter_issued\tonsite_meeting\tsupervision_letter\topen\tSL-2026-0002\n' "$C"
        printf '%s\tspecial_meeting_planned\tsupervision_letter\tspecial_meeting\topen\tSM-2026-0002\n' "$C"
        printf '%s\tspecial_meeting_planned\tonsite_meeting\tspecial_meeting\topen\tSM-2026-0001\n' "$D"
        printf '%s\tletter_issued\tonsite_meeting\tsupervision_letter\topen\tSL-2026-0003\n' "$F"
    } | sort >"$WORK/ev.want"
    diff -u "$WORK/ev.want" "$WORK/$FORM.ev.got" || fail "$FORM: case events differ"
    jq -e -s --arg d "$D" 'map(select(.event.case_id == $d and .event.to_stage == "special_meeting"))[0].event.addressees
                           | index("leader:L1") and index("unit:海南生态环境公司") and index("commissioner:C1") and index("office:supervision")' \
        "$WORK/$FORM.events" >/dev/null || fail "$FORM: the special meeting's addressees"
    jq -e -s --arg f "$F" 'map(select(.event.case_id == $f and .event.action == "letter_issued"))[0].event
                           | .at == "2026-09-29T00:00:00+08:00" and (.addressees | index("unit:椰城文旅集团"))' \
        "$WORK/$FORM.events" >/dev/null || fail "$FORM: F's letter event"
    ok "$FORM: 16 case events, each stage change once, on case.<stage>.<project>, addressed ($BOUNCES restarts)"

    sw --json cases >"$WORK/$FORM.cases.json"
    sw --json accountability >"$WORK/$FORM.acc.json"
}

FORM=sitewatchd
start_sitewatchd
scenario
stop_soft sitewatchd

FORM=four
BOUNCES=0
start_four
scenario
for svc in intake rules escalation notify; do stop_soft "$svc"; done

diff -u "$WORK/sitewatchd.cases.json" "$WORK/four.cases.json" >/dev/null || fail "the two forms ended differently"
diff -u "$WORK/sitewatchd.acc.json" "$WORK/four.acc.json" >/dev/null || fail "the two forms' accountability differs"
ok "both forms: the same cases and the same accountability"
echo "all passed"
