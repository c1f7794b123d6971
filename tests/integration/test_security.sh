# Security (SPEC §9): with --curve-dir the front door speaks CURVE under a
# ZAP handler: unknown keys are refused outright, a device may report only
# for the projects its key is bound to, a subscriber may only read and
# confirm, operator commands need an operator key.
source "$(dirname "$0")/lib.sh" "$1" "$2"
K=$WORK/keys
sw keygen server --out "$WORK/curve" >/dev/null
mkdir -p "$WORK/curve/clients"
sw keygen op --role operator --out "$K" >/dev/null
sw keygen dev --role device --projects "P1 P3" --out "$K" >/dev/null
sw keygen sub --role subscriber --out "$K" >/dev/null
sw keygen rogue --role operator --out "$K" >/dev/null          # never given to the server
cp "$K/op.cert" "$K/dev.cert" "$K/sub.cert" "$WORK/curve/clients/"
export SITEWATCH_SERVER_CERT=$WORK/curve/server.cert

as () { local who=$1; shift; SITEWATCH_CURVE_CERT=$K/$who.cert_secret sw "$@"; }

start_bg sitewatchd "$BUILD/sitewatchd" --data "$WORK/data" --endpoint "$SITEWATCH_ENDPOINT" \
    "${COMMON_FLAGS[@]}" --curve-dir "$WORK/curve"
for _ in $(seq 1 50); do as op --timeout 300 clock show >/dev/null 2>&1 && break; sleep 0.1; done

as op clock set 2026-03-11T10:00:00+08:00 >/dev/null || fail "operator: clock set"
as op registry import "$SRC/tests/integration/data/mini.yaml" >/dev/null 2>&1 || fail "operator: import"
ok "an operator key may do everything"

rc=0; SITEWATCH_CURVE_CERT= sw --timeout 1500 clock show >/dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "a client without CURVE got an answer"
rc=0; as rogue --timeout 1500 clock show >/dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "an unknown key got an answer (ZAP handler not enforcing)"
ok "no key, or a key the server does not know: no connection"

[ "$(as dev --json report --project P1 --percent 30 | jq -r .status)" = accepted ] || fail "device: own project"
out=$(as dev --json report --project P2 --percent 30 || true)
[ "$(jq -r .code <<<"$out")" = unauthorized ] || fail "device: other project: $out"
rc=0; as dev registry import "$SRC/tests/integration/data/mini.yaml" >/dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "device: registry import allowed"
rc=0; as dev clock advance 1d >/dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "device: clock advance allowed"
ok "a device reports only for the projects its key is bound to"

as sub --json subscribe --no-follow --from 1 >/dev/null || fail "subscriber: fetch"
out=$(as sub --json report --project P1 --percent 30 || true)
[ "$(jq -r .code <<<"$out")" = unauthorized ] || fail "subscriber: report: $out"
rc=0; as sub status >/dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "subscriber: status allowed"
ok "a subscriber may read topics and confirm, nothing else"

# nothing unauthorized was stored
[ "$(as op --json project P2 | jq '.reports | length')" = 0 ] || fail "an unauthorized report was stored"
ok "refused requests changed nothing"
stop_soft sitewatchd
echo "5 passed, 0 failed"
