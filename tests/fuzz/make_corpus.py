#!/usr/bin/env python3
# Writes the binary seeds of tests/fuzz/corpus (hand-encoded protobuf:
# no protoc needed). Run from tests/fuzz: python3 make_corpus.py
import os

def varint(n):
    n &= (1 << 64) - 1
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])

def f_int(field, n): return varint(field << 3) + varint(n)
def f_len(field, data):
    if isinstance(data, str): data = data.encode()
    return varint((field << 3) | 2) + varint(len(data)) + data

AT = 1773194400000  # 2026-03-11T10:00:00+08:00
def report(rid="dev-1", pid="P1", pct=3000, problems=(), resolves=(), reason=""):
    b = f_len(1, rid) + f_len(2, pid) + f_len(3, "rep-1") + f_int(4, 1) + f_int(5, AT) + f_int(6, pct)
    for i, p in enumerate(problems): b += f_len(7, f_len(1, p) + f_int(2, 1 + i % 2))
    for r in resolves: b += f_len(8, r)
    if reason: b += f_len(9, reason)
    return b
def checkin(): return f_len(1, "C1") + f_len(2, "P1") + f_int(3, AT)
def request(body_field, body, version=1): return f_int(1, version) + f_len(2, "req-1") + f_len(body_field, body)

def write(target, name, data):
    with open(os.path.join("corpus", target, name), "wb") as f: f.write(data)

write("fuzz_request", "report_ok", request(10, report()))
write("fuzz_request", "report_problems", request(10, report(problems=["crane down", "rain"], resolves=["dev-0/1"], reason="flood")))
write("fuzz_request", "report_bad_percent", request(10, report(pct=20000)))
write("fuzz_request", "report_negative", request(10, report(pct=-5)))
write("fuzz_request", "report_nul_in_id", request(10, report(rid="a\0b")))
write("fuzz_request", "report_bad_utf8", request(10, report(problems=[b"\xff\xfe".decode("latin1")])))
write("fuzz_request", "report_long_id", request(10, report(rid="x" * 10240)))
write("fuzz_request", "report_many_problems", request(10, report(problems=["p"] * 100)))
write("fuzz_request", "checkin_ok", request(11, checkin()))
write("fuzz_request", "version_2", request(10, report(), version=2))
write("fuzz_request", "truncated", request(10, report())[:17])
write("fuzz_request", "empty", b"")
# an unknown field numbered 0 inside the report: protobuf-c reads it, cannot
# write it back readably; intake must refuse it (it once acked and lost it)
write("fuzz_request", "report_unknown_field0", f_int(1, 1) + f_len(2, "req-1") + f_len(10, report() + b"\x80\x00\x00"))
write("fuzz_chain", "report", f_int(1, 7) + f_int(2, AT) + f_len(10, report()))
write("fuzz_chain", "checkin", f_int(1, 8) + f_int(2, AT) + f_len(11, checkin()))
write("fuzz_chain", "tick", f_int(1, 9) + f_int(2, AT) + f_len(13, f_int(2, AT)))
write("fuzz_chain", "warning", f_int(1, 10) + f_int(2, AT) + f_len(14, f_len(1, "ev-1") + f_len(2, "P1") + f_int(3, 1) + f_int(4, 3)))
write("fuzz_chain", "truncated", (f_int(1, 7) + f_len(10, report()))[:9])
write("fuzz_chain", "empty", b"")
for name, text in [("percent", "45.5"), ("percent_neg", "-3"), ("percent_big", "99999999999.99"),
                   ("duration", "1d12h"), ("duration_ms", "500ms"), ("duration_bad", "5x"),
                   ("instant", "2026-03-15T10:00:00+08:00"), ("instant_ms", "2026-03-15T10:00:00.250Z"),
                   ("instant_local", "2026-03-15 10:00"), ("date", "2026-03-15"),
                   ("offset_secs", "1900-01-01T00:00:00+08:05:43"), ("number", "1000000")]:
    write("fuzz_cli_args", name, text.encode())
