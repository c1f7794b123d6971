# Integration: the progress express report (SPEC §6) over the real binaries,
# four-process form, manual clock, the sample registry (86 projects) through
# three periods. Every digest's figures must match what the scenario did
# (counts, changes, no_report, channels, commissioners' reports and site days
# from `sitewatch checkin`, open cases, same-day leadership reports); each close is published on topic `digest` exactly
# once although escalation and rules are killed with -9 mid-scenario; the HTML
# page opens in headless Chromium and its screenshot is not blank.
source "$(dirname "$0")/lib.sh" "$1" "$2"

# The browser check is part of the test: a missing browser is a failure.
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || fail "chromium is not installed (deploy/setup.sh installs it)"
fc-list :lang=zh 2>/dev/null | grep -q . || fail "no CJK font: Chinese would render as boxes (deploy/setup.sh installs fonts-wqy-microhei)"

SENT=$WORK/sent.tsv      # period project source, one line per accepted report
: >"$SENT"
SEQ=0

# report PERIOD PROJECT PERCENT SOURCE [more sitewatch report args]
report () {
    local period=$1 p=$2 pct=$3 src=$4; shift 4
    SEQ=$((SEQ + 1))
    LAST_ID="t$period-$p-$SEQ"
    sw report --project "$p" --percent "$pct" --source "$src" --id "$LAST_ID" "$@" \
        >/dev/null || fail "report $p $pct $src rejected"
    printf '%s\t%s\t%s\n' "$period" "$p" "$src" >>"$SENT"
}

# planned PERIOD PROJECT: its planned percent as the board showed it
planned () { awk -v p="$2" '$1 == p { print $2 }' "$WORK/planned.$1"; }

# pct PLANNED DELTA: planned + delta, within 0..100, two decimals
pct () { awk -v a="$1" -v d="$2" 'BEGIN { v = a + d; if (v < 0) v = 0; if (v > 100) v = 100; printf "%.2f", v }'; }

SOURCES=(commissioner unit local)

# Reports every active project once (source by index), with the deltas given
# as "PROJECT=DELTA" (default +1: on plan), skipping "PROJECT=skip".
report_all () {
    local period=$1; shift
    declare -A delta=()
    local kv
    for kv in "$@"; do delta[${kv%%=*}]=${kv#*=}; done
    sw --json status | jq -r '.[] | select(.level != "not_started") | "\(.project_id) \(.planned_pct)"' \
        | sort >"$WORK/planned.$period"
    local i=0 p planned d
    while read -r p planned; do
        d=${delta[$p]:-1}
        if [ "$d" != skip ]; then
            report "$period" "$p" "$(pct "$planned" "$d")" "${SOURCES[$((i % 3))]}"
        fi
        i=$((i + 1))
    done <"$WORK/planned.$period"
}

checkin () { sw checkin --commissioner "$1" --project "$2" --at "$3" >/dev/null || fail "checkin $*"; }

wait_escalation () {
    local i
    for i in $(seq 1 100); do
        sw --timeout 500 sla >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    fail "escalation did not answer after its restart"
}

# expect_digest PERIOD RED YELLOW NEW_RED NEW_YELLOW CLEARED NO_REPORT "C01:days:meets ..." CASES
expect_digest () {
    local k=$1 red=$2 yellow=$3 new_red=$4 new_yellow=$5 cleared=$6 no_report=$7 sites=$8 cases=$9
    local f=$WORK/digest.$k.json
    sw --json digest --period "$k" >"$f" || fail "digest --period $k"
    local got want
    got=$(jq -r '[.period, .red, .yellow, .green, .not_started] | @tsv' "$f")
    want=$(printf '%s\t%s\t%s\t%s\t%s' "$k" "$red" "$yellow" "$((ACTIVE - red - yellow))" "$((TOTAL - ACTIVE))")
    [ "$got" = "$want" ] || fail "period $k: counts (period red yellow green not_started) $got, want $want"
    got=$(jq -r '[.new_red, .new_yellow, .cleared, .no_report] | map(join(",")) | join(" ")' "$f")
    [ "$got" = "$new_red $new_yellow $cleared $no_report" ] \
        || fail "period $k: changes/no_report '$got', want '$new_red $new_yellow $cleared $no_report'"
    # flagged = every red, then every yellow, each with reasons
    got=$(jq -r '[.flagged[] | .level] | join(",")' "$f")
    want=$(jq -rn --argjson r "$red" --argjson y "$yellow" '[range($r) | "red"] + [range($y) | "yellow"] | join(",")')
    [ "$got" = "$want" ] || fail "period $k: flagged levels $got, want $want"
    [ "$(jq '[.flagged[] | select((.reasons | length) == 0)] | length' "$f")" = 0 ] \
        || fail "period $k: a flagged project without reasons"

    # channel coverage and report counts per project, from what was sent
    jq -r '.projects[] | [.project_id, .channels.commissioner, .channels.unit, .channels.local, .reports] | @tsv' \
        "$f" | sort >"$WORK/cov.$k.got"
    jq -r '.projects[].project_id' "$f" | sort | awk -v k="$k" -F'\t' '
        NR == FNR { if ($1 == k) { n[$2]++; s[$2 "/" $3] = 1 } next }
        { p = $1; printf "%s\t%s\t%s\t%s\t%d\n", p, s[p "/commissioner"] ? "true" : "false",
          s[p "/unit"] ? "true" : "false", s[p "/local"] ? "true" : "false", n[p] }' \
        "$SENT" - >"$WORK/cov.$k.want"
    [ "$(wc -l <"$WORK/cov.$k.got")" = "$TOTAL" ] || fail "period $k: not every project in the coverage list"
    diff -u "$WORK/cov.$k.want" "$WORK/cov.$k.got" >&2 || fail "period $k: channel coverage differs"
    got=$(jq -r '[.reports_commissioner, .reports_unit, .reports_local] | @tsv' "$f")
    want=$(awk -v k="$k" -F'\t' '$1 == k { n[$3]++ } END { printf "%d\t%d\t%d", n["commissioner"], n["unit"], n["local"] }' "$SENT")
    [ "$got" = "$want" ] || fail "period $k: reports per channel $got, want $want"

    # commissioners: projects, reports on them in the period, site days
    jq -r '.commissioners[] | [.commissioner_id, (.projects | join(",")), .reports] | @tsv' "$f" \
        | sort >"$WORK/comm.$k.got"
    awk -v k="$k" -F'\t' '
        FILENAME == ARGV[1] { c[$1] = $2; list[$2] = list[$2] (list[$2] ? "," : "") $1; next }
        $1 == k { n[c[$2]]++ }
        END { for (x in list) printf "%s\t%s\t%d\n", x, list[x], n[x] }' \
        "$WORK/commissioner_of" "$SENT" | sort >"$WORK/comm.$k.want"
    diff -u "$WORK/comm.$k.want" "$WORK/comm.$k.got" >&2 || fail "period $k: commissioners' projects or reports differ"
    got=$(jq -r '[.commissioners[] | select(.site_days > 0 or .meets_target) | "\(.commissioner_id):\(.site_days):\(.meets_target)"] | join(" ")' "$f")
    [ "$got" = "$sites" ] || fail "period $k: site days '$got', want '$sites'"
    [ "$(jq '[.commissioners[] | select(.target_days != 2.5)] | length' "$f")" = 0 ] || fail "period $k: target"
    # open cases (one per reported problem and per move into red, until
    # solved or out of red), as the close saw them, overdue ones first
    got=$(jq -r '[.cases_available, ([.open_cases[].project_id] | join(","))] | @tsv' "$f")
    [ "$got" = "$(printf 'true\t%s' "$cases")" ] || fail "period $k: open cases '$got', want '$cases'"
    jq -e '[.open_cases[].overdue] as $o | $o == ($o | sort | reverse)' "$f" >/dev/null \
        || fail "period $k: overdue cases not first"
    ok "period $k: counts, changes, no_report, channels, commissioners, site days, cases match the scenario"
}

start_four

sw clock set 2026-03-10T09:00:00+08:00 >/dev/null
sw registry import "$SRC/data/jiangdong-registry.yaml" >/dev/null 2>&1 || fail "registry import"
sw --json status >"$WORK/status.0"
TOTAL=$(jq length "$WORK/status.0")
ACTIVE=$(jq '[.[] | select(.level != "not_started")] | length' "$WORK/status.0")
jq -r '.[] | [.project_id, .commissioner] | @tsv' "$WORK/status.0" | sort >"$WORK/commissioner_of"
[ "$TOTAL" = 86 ] && [ "$ACTIVE" -gt 10 ] || fail "sample registry: $TOTAL projects, $ACTIVE started"

# ---- period 3 (2026-03-10 .. 12): JD002 silent, JD003 reports a major problem
checkin C01 JD001 2026-03-06T10:00:00+08:00     # 4 days back: in the window of the first close
checkin C01 JD002 2026-03-10T09:00:00+08:00
checkin C03 JD022 2026-03-05T23:30:00+08:00     # a day before the window
checkin C03 JD024 2026-03-06T00:10:00+08:00     # its first day
sw clock set 2026-03-11T10:00:00+08:00 >/dev/null
report_all 3 JD002=skip JD003=skip
report 3 JD003 "$(pct "$(planned 3 JD003)" 1)" commissioner --problem "塔吊基础沉降，停工整改" --major
PROBLEM="$LAST_ID/1"
report 3 JD001 "$(pct "$(planned 3 JD001)" 1)" unit
report 3 JD001 "$(pct "$(planned 3 JD001)" 1)" local
checkin C01 JD003 2026-03-11T10:00:00+08:00
checkin C02 JD011 2026-03-11T10:00:00+08:00
checkin C02 JD012 2026-03-11T10:00:00+08:00     # same day: one site day
sw clock set 2026-03-12T11:00:00+08:00 >/dev/null
checkin C01 JD006 2026-03-12T11:00:00+08:00
checkin C02 JD015 2026-03-12T11:00:00+08:00
sw digest >/dev/null 2>&1 && fail "a digest before any close"
sw clock set 2026-03-13T00:00:00+08:00 >/dev/null   # close of period 3
expect_digest 3 1 1 JD003 JD002 "" JD002 "C01:4:true C02:2:false C03:1:false" JD003,JD003

# ---- period 4 (2026-03-13 .. 15): JD002 yellow again (red), JD003 resolved,
# JD004 silent, JD006 behind; escalation killed at the close
sw clock set 2026-03-14T10:00:00+08:00 >/dev/null
report_all 4 JD002=-8 JD003=skip JD004=skip JD006=-8
report 4 JD003 "$(pct "$(planned 4 JD003)" 1)" unit --resolves "$PROBLEM"
report 4 JD008 "$(pct "$(planned 4 JD008)" 1)" unit
report 4 JD008 "$(pct "$(planned 4 JD008)" 1)" local
checkin C02 JD017 2026-03-14T10:00:00+08:00
sw clock set 2026-03-16T00:00:00+08:00 >/dev/null   # close of period 4 ...
stop_hard escalation                                 # ... while its digest is on the way
start_service escalation
wait_escalation
expect_digest 4 1 2 JD002 JD004,JD006 JD003 JD004 "C01:3:true C02:3:true" JD002

# ---- period 5 (2026-03-16 .. 18): JD002 and JD006 back on plan, JD004
# behind after a silent period (red), JD007 a major problem; rules killed
sw clock set 2026-03-17T10:00:00+08:00 >/dev/null
report_all 5 JD004=-8 JD007=skip
stop_hard rules
start_service rules
report 5 JD007 "$(pct "$(planned 5 JD007)" 1)" local --problem "基坑渗水" --major
checkin C01 JD009 2026-03-17T10:00:00+08:00
checkin C02 JD019 2026-03-16T08:00:00+08:00
sw clock set 2026-03-19T00:00:00+08:00 >/dev/null   # close of period 5 ...
stop_hard rules                                      # ... rules killed as it compiles
start_service rules
expect_digest 5 2 0 JD004,JD007 "" JD002,JD006 "" "C01:2:false C02:3:true" JD004,JD007,JD007

# ---- the record: history, SLA, the latest by default, errors
f=$WORK/digest.5.json
[ "$(jq -r '.history | map("\(.period):\(.red):\(.yellow)") | join(" ")' "$f")" = "3:1:1 4:1:2 5:2:0" ] \
    || fail "history $(jq -c .history "$f")"
# reds of each period reached nobody (no notifier runs here): missed by the close
got=$(for k in 3 4 5; do jq -r '"\(.sla_met)/\(.sla_missed)/\(.sla_pending)"' "$WORK/digest.$k.json"; done | tr '\n' ' ')
[ "$got" = "0/1/0 0/1/0 0/2/0 " ] || fail "same-day leadership sections: $got"
[ "$(sw --json digest | jq -r .period)" = 5 ] || fail "the latest closed period by default"
[ "$(jq -r '.closed_at, .first_day, .last_day' "$f" | tr '\n' ' ')" = "2026-03-19T00:00:00+08:00 2026-03-16 2026-03-18 " ] \
    || fail "period bounds"
# (the ERR trap of lib.sh stops everything on a failing command: test exit
# statuses inside conditions)
if sw digest --period 2 >/dev/null 2>"$WORK/err"; then rc=0; else rc=$?; fi
[ "$rc" = 1 ] && grep -q not_found "$WORK/err" || fail "digest of a period never closed: exit $rc"
if sw digest --period soon >/dev/null 2>&1; then rc=0; else rc=$?; fi
[ "$rc" = 2 ] || fail "bad --period: exit $rc"
ok "history of levels, same-day leadership section, latest by default, not_found"

# ---- published on topic digest, exactly once per close
sw --json subscribe --no-follow --from 1 digest >"$WORK/published"
got=$(jq -r '[.topic, .at] | @tsv' "$WORK/published" | tr '\n' ' ')
want="digest	2026-03-13T00:00:00+08:00 digest	2026-03-16T00:00:00+08:00 digest	2026-03-19T00:00:00+08:00 "
[ "$got" = "$want" ] || fail "published digests: $got"
ok "one publication on topic digest per close, none doubled by kill -9 of escalation and rules"

# ---- rendered: Markdown and a self-contained HTML page in a real browser
sw digest --format md >"$WORK/digest.md"
grep -q '^# 项目进度快报' "$WORK/digest.md" && grep -q 'period 5 · 2026-03-16 to 2026-03-18' "$WORK/digest.md" \
    || fail "markdown"
sw digest --format html >"$WORK/digest.html"
[ "$(sw --json digest --format json | jq -r .period)" = 5 ] || fail "--format json"
grep -q '<meta charset="utf-8">' "$WORK/digest.html" && grep -q '<svg' "$WORK/digest.html" || fail "html page"
if grep -Eq '<script|src=|href=|url\(|https://' "$WORK/digest.html"; then fail "html page has external assets"; fi

BROWSER=(timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
         --disable-background-networking --disable-component-update --disable-sync
         --enable-logging=stderr --v=0)
"${BROWSER[@]}" --user-data-dir="$(mktemp -d "$WORK/chrome.XXXXXX")" --dump-dom \
    "file://$WORK/digest.html" >"$WORK/dom.html" 2>"$WORK/chrome-dom.log" || fail "chromium --dump-dom"
grep -q '项目进度快报' "$WORK/dom.html" && grep -q '江东新区' "$WORK/dom.html" \
    || fail "the browser did not read the page as UTF-8 Chinese"
"${BROWSER[@]}" --user-data-dir="$(mktemp -d "$WORK/chrome.XXXXXX")" --screenshot="$WORK/digest.png" \
    --window-size=1200,1600 "file://$WORK/digest.html" 2>"$WORK/chrome-shot.log" || fail "chromium --screenshot"
if grep -q 'CONSOLE' "$WORK/chrome-dom.log" "$WORK/chrome-shot.log"; then
    fail "console messages while loading the page: $(grep CONSOLE "$WORK"/chrome-*.log | head -3)"
fi
python3 - "$WORK/digest.png" <<'PY' || fail "the screenshot looks blank"
# A small PNG reader (no imaging library): 8-bit RGB or RGBA, non-interlaced.
import struct, sys, zlib
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
pos, idat, w = 8, b'', 0
while pos < len(data):
    n, kind = struct.unpack('>I4s', data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b'IHDR':
        w, h, depth, ctype, _, _, interlace = struct.unpack('>IIBBBBB', body)
        assert depth == 8 and ctype in (2, 6) and interlace == 0, (depth, ctype, interlace)
        bpp = 3 if ctype == 2 else 4
    elif kind == b'IDAT':
        idat += body
    pos += 12 + n
raw, stride = zlib.decompress(idat), w * bpp
prev, rows, i = bytearray(stride), [], 0
for _ in range(h):
    f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b, c = prev[x], prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line); prev = line
colours, ink, red, green = set(), 0, 0, 0
for line in rows:
    for x in range(0, stride, bpp):
        r, g, b = line[x], line[x + 1], line[x + 2]
        colours.add((r, g, b))
        if r < 240 or g < 240 or b < 240: ink += 1
        if r > 190 and g < 80 and b < 80: red += 1          # the red cards and bars
        if r < 60 and 120 < g < 170 and b < 90: green += 1  # the green ones
share = ink / (w * h)
print(f"screenshot {w}x{h}: {len(colours)} colours, {share:.1%} ink, red {red}, green {green}")
assert (w, h) == (1200, 1600), (w, h)
assert len(colours) > 50 and share > 0.03 and red > 2000 and green > 2000
PY
ok "HTML page opens in headless Chromium: UTF-8 Chinese in the DOM, no console errors, screenshot not blank"

for svc in intake rules escalation notify; do stop_soft "$svc"; done
echo "6 passed, 0 failed"
