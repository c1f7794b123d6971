# Durability: kill -9 the server(s) while a device streams reports and a
# subscriber listens; restart; every acknowledged report took effect exactly
# once, and every warning event reached the subscriber exactly once, in
# sequence. Both forms. Seeded, so a failing run can be repeated:
#   SEED=7 bash test_durability.sh BUILD SRC
source "$(dirname "$0")/lib.sh" "$1" "$2"
SEED=${SEED:-4242}
N=${N:-120}
RANDOM=$SEED
echo "seed=$SEED reports=$N"

# Each report flips its project between green (30 %, planned 25 %) and red
# (10 %: lag 15), so every report applied once yields exactly one event.
device () {
    local i p pct st
    for i in $(seq 1 "$N"); do
        p=P$(( (i - 1) % 3 + 1 ))
        if [ $(( ((i - 1) / 3) % 2 )) = 0 ]; then pct=10; else pct=30; fi
        st=$(sw --timeout 30000 --json report --project "$p" --percent "$pct" --id "dev-$i" \
                 --observed-at 2026-03-11T10:00:00+08:00 2>>"$WORK/device.err" | jq -r .status) || st=noanswer
        echo "dev-$i $st" >>"$WORK/device.acks"
    done
}

# A subscriber that was away catches up from its last sequence number.
subscriber () {
    local next=1 last
    while [ ! -f "$WORK/device.done" ] || [ "$next" -le "$(cat "$WORK/expect.head" 2>/dev/null || echo 0)" ]; do
        if sw --timeout 3000 --json subscribe --no-follow --from "$next" warning. >"$WORK/sub.part" 2>/dev/null; then :; fi
        if [ -s "$WORK/sub.part" ]; then
            cat "$WORK/sub.part" >>"$WORK/sub.all"
            last=$(tail -1 "$WORK/sub.part" | jq -r .seq)
            next=$((last + 1))
        fi
        : >"$WORK/sub.part"
        sleep 0.2
        [ -f "$WORK/sub.stop" ] && break
    done
}

run_form () {
    local form=$1; shift
    local victims=("$@") k v
    rm -f "$WORK"/device.* "$WORK"/sub.* "$WORK/expect.head"
    sw clock set 2026-03-11T10:00:00+08:00 >/dev/null
    sw registry import "$SRC/tests/integration/data/mini.yaml" >/dev/null 2>&1
    device & local dpid=$!
    subscriber & local spid=$!
    for k in 1 2 3 4; do
        sleep "0.$(( RANDOM % 7 + 2 ))"
        v=${victims[$(( RANDOM % ${#victims[@]} ))]}
        echo "kill -9 $v"
        stop_hard "$v"
        if [ "$v" = sitewatchd ]; then start_sitewatchd; else start_service "$v"; fi
    done
    wait "$dpid"
    touch "$WORK/device.done"
    sleep 1; touch "$WORK/sub.stop"; wait "$spid" || true
    # final catch-up from where the subscriber stopped
    local next=1
    [ -s "$WORK/sub.all" ] && next=$(( $(tail -1 "$WORK/sub.all" | jq -r .seq) + 1 ))
    sw --json subscribe --no-follow --from "$next" warning. >>"$WORK/sub.all"

    local acked dup bad
    acked=$(grep -c ' accepted$' "$WORK/device.acks" || true)
    dup=$(grep -c ' duplicate$' "$WORK/device.acks" || true)
    bad=$(grep -vc -E ' (accepted|duplicate)$' "$WORK/device.acks" || true)
    echo "$form: reports=$N accepted=$acked duplicate(ack lost, resent)=$dup unanswered=$bad"
    [ "$bad" = 0 ] || fail "$form: $bad reports never acknowledged: $(grep -v -E ' (accepted|duplicate)$' "$WORK/device.acks" | head -3)"
    [ $((acked + dup)) = "$N" ] || fail "$form: acks $((acked + dup)) != $N"

    # every acknowledged report took effect exactly once
    local stored=0 p ids
    for p in P1 P2 P3; do
        sw --json project "$p" | jq -r '.reports[].report_id' >>"$WORK/stored.ids"
    done
    stored=$(wc -l <"$WORK/stored.ids")
    [ "$stored" = "$N" ] || fail "$form: rules holds $stored reports, want $N"
    [ "$(sort -u "$WORK/stored.ids" | wc -l)" = "$N" ] || fail "$form: a report was applied twice"
    rm -f "$WORK/stored.ids"
    ok "$form: $N acknowledged reports applied exactly once"

    # every warning event reached the subscriber exactly once, in order
    local events uniq seqs
    events=$(wc -l <"$WORK/sub.all")
    uniq=$(jq -r .event.event_id "$WORK/sub.all" | sort -u | wc -l)
    echo "$form: warning events at the subscriber=$events distinct=$uniq"
    [ "$events" = "$N" ] || fail "$form: $events warning events, want $N"
    [ "$uniq" = "$N" ] || fail "$form: duplicated warning events"
    jq -r .seq "$WORK/sub.all" | sort -n -c || fail "$form: sequence out of order"
    for p in P1 P2 P3; do
        jq -r "select(.event.project_id == \"$p\") | .event.to" "$WORK/sub.all" | tr '\n' ' ' >"$WORK/flips"
        grep -q -E '^(red green )*(red )?$' "$WORK/flips" || fail "$form: $p levels $(cat "$WORK/flips")"
    done
    ok "$form: $N warning events reached the subscriber exactly once, in order per project"
    # and one leadership report per red
    local reds leaders
    reds=$(jq -r 'select(.event.to == "red") | .event.event_id' "$WORK/sub.all" | wc -l)
    leaders=$(sw --json subscribe --no-follow --from 1 leadership. | jq -r .event.report_id | sort -u | wc -l)
    [ "$reds" = "$leaders" ] || fail "$form: $reds reds but $leaders leadership reports"
    ok "$form: one leadership report per red ($reds)"
}

start_sitewatchd
run_form sitewatchd sitewatchd
stop_soft sitewatchd

start_four
run_form four intake rules escalation notify
for s in intake rules escalation notify; do stop_soft "$s"; done
echo "6 passed, 0 failed"
