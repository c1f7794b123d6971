/* sw_probe: sends hand-made, often hostile, frames to the front door and
 * prints the answer's status and code ("rejected malformed"), or "no answer".
 * Integration tests use it for what the real command line cannot send.
 *   sw_probe ENDPOINT CASE [PROJECT]
 * CASE: garbage truncated oversize empty multi badversion unknown_project
 *       bad_percent future too_old nul_in_string huge_repeated long_id valid
 *       unknown_field0 bad_utf8
 * (valid: a correct report, accepted; unknown_field0: a correct report whose
 * bytes end in an unknown field numbered 0, which protobuf-c reads but does
 * not write back readably)
 *   sw_probe ENDPOINT burst PROJECT N TAG [RESEND_MS]
 * burst: N plain reports for PROJECT (ids TAG-1 .. TAG-N) sent at once on
 * one connection, then answered like a device: each report still
 * unanswered is sent again every RESEND_MS (2000; after a retry_later,
 * after its hint) until every one has its answer or 120 s have passed.
 * Prints "accepted A duplicate D rejected R unanswered U resent S" (the first answer of
 * each report; later ones to resends are not counted); on stderr
 * "answered K" as answers come. */
#include "sw_client.h"
#include "sw_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_print (zsock_t *sock)
{
    zsock_set_rcvtimeo (sock, 5000);
    zframe_t *f = zframe_recv (sock);
    if (!f) {
        printf ("no answer\n");
        return;
    }
    Sitewatch__V1__Response *r = sitewatch__v1__response__unpack (NULL, zframe_size (f), zframe_data (f));
    zframe_destroy (&f);
    if (!r)
        printf ("bad answer\n");
    else if (r->body_case == SITEWATCH__V1__RESPONSE__BODY_ACK) {
        static const char *st[] = { "unspecified", "accepted", "duplicate", "rejected", "retry_later" };
        printf ("%s %s", st[r->ack->status < 5 ? r->ack->status : 0],
                *r->ack->code ? r->ack->code : "-");
        if (r->ack->retry_after_ms)     /* the hint that comes with retry_later */
            printf (" retry_after_ms=%u", (unsigned) r->ack->retry_after_ms);
        printf ("\n");
    }
    else
        printf ("answer %d\n", (int) r->body_case);
    if (r)
        sitewatch__v1__response__free_unpacked (r, NULL);
}

static int64_t
s_server_now (const char *endpoint)
{
    sw_client_t *c = sw_client_new (endpoint);
    Sitewatch__V1__Request req = SITEWATCH__V1__REQUEST__INIT;
    Sitewatch__V1__ClockCommand cc = SITEWATCH__V1__CLOCK_COMMAND__INIT;
    cc.op = SITEWATCH__V1__CLOCK_COMMAND__OP__OP_SHOW;
    req.body_case = SITEWATCH__V1__REQUEST__BODY_CLOCK;
    req.clock = &cc;
    Sitewatch__V1__Response *r = sw_client_call (c, &req, 5000, 0);
    int64_t now = r && r->clock ? r->clock->now : sw_wire_wall_ms ();
    if (r)
        sitewatch__v1__response__free_unpacked (r, NULL);
    sw_client_destroy (&c);
    return now;
}

/* See "burst" above. */
static int
s_burst (zsock_t *zs, const char *project, long n, const char *tag, int64_t observed_at,
         int64_t resend_ms)
{
    void *sock = zsock_resolve (zs);
    /* per report: 0 unanswered, else the answer's Ack status (-1: none
     * given); when to send it (again); whether it went out once */
    int *status = calloc ((size_t) n, sizeof *status);
    int64_t *due = calloc ((size_t) n, sizeof *due);
    bool *sent = calloc ((size_t) n, sizeof *sent);
    if (!status || !due || !sent)
        abort ();
    size_t taglen = strlen (tag);
    long answered = 0, resent = 0, counts[5] = { 0 };
    int64_t deadline = zclock_mono () + 120000;
    while (answered < n && zclock_mono () < deadline) {
        int64_t now = zclock_mono ();
        for (long i = 0; i < n; i++) {
            if (status[i] || due[i] > now)
                continue;
            char id[96];
            uint8_t buf[512];
            snprintf (id, sizeof id, "%s-%ld", tag, i + 1);
            size_t len = sw_wire_report_encode (buf, sizeof buf, id, id, project,
                                                SITEWATCH__V1__SOURCE__SOURCE_COMMISSIONER,
                                                observed_at, 5000);
            if (!len || len > sizeof buf)
                abort ();
            /* The connecting DEALER queues while intake is down (no high-water
             * mark: set before the connect); should a send fail all the same,
             * it is tried again shortly. */
            if (zmq_send (sock, buf, len, ZMQ_DONTWAIT) < 0) {
                due[i] = now + 100;
                continue;
            }
            resent += sent[i];
            sent[i] = true;
            due[i] = now + resend_ms;
        }
        zmq_pollitem_t item = { sock, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, 100) <= 0)
            continue;
        uint8_t buf[4096];
        int got;
        while ((got = zmq_recv (sock, buf, sizeof buf, ZMQ_DONTWAIT)) >= 0) {
            sw_wire_ack_view_t ack;
            if ((size_t) got > sizeof buf || !sw_wire_ack_view (buf, (size_t) got, &ack)
                || ack.request_id_len <= taglen + 1
                || memcmp (ack.request_id, tag, taglen) != 0 || ack.request_id[taglen] != '-')
                continue;
            char num[24];
            size_t nl = ack.request_id_len - taglen - 1;
            if (nl >= sizeof num)
                continue;
            memcpy (num, ack.request_id + taglen + 1, nl);
            num[nl] = 0;
            char *end;
            long i = strtol (num, &end, 10) - 1;
            if (num[0] < '1' || num[0] > '9' || *end || i < 0 || i >= n || status[i])
                continue;
            if (ack.status == SITEWATCH__V1__ACK__STATUS__STATUS_RETRY_LATER) {
                due[i] = zclock_mono () + (ack.retry_after_ms ? ack.retry_after_ms : 100);
                continue;
            }
            status[i] = ack.status ? (int) ack.status : -1; /* answered, whatever it says */
            counts[ack.status < 5 ? ack.status : 0]++;
            answered++;
        }
        fprintf (stderr, "answered %ld\n", answered); /* progress, for the tests */
    }
    printf ("accepted %ld duplicate %ld rejected %ld unanswered %ld resent %ld\n",
            counts[SITEWATCH__V1__ACK__STATUS__STATUS_ACCEPTED],
            counts[SITEWATCH__V1__ACK__STATUS__STATUS_DUPLICATE],
            counts[SITEWATCH__V1__ACK__STATUS__STATUS_REJECTED], n - answered, resent);
    free (status);
    free (due);
    free (sent);
    return 0;
}

int
main (int argc, char **argv)
{
    if (argc < 3) {
        fprintf (stderr, "usage: sw_probe ENDPOINT CASE [PROJECT] | ENDPOINT burst PROJECT N TAG [RESEND_MS]\n");
        return 2;
    }
    const char *ep = argv[1], *kase = argv[2], *project = argc > 3 ? argv[3] : "P1";
    int64_t now = s_server_now (ep);
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    zsock_set_linger (sock, 500);
    if (streq (kase, "burst")) {
        zsock_set_sndhwm (sock, 0); /* no limit: the whole burst queues */
        zsock_set_rcvhwm (sock, 0);
    }
    if (zsock_connect (sock, "%s", ep) != 0)
        return 2;
    if (streq (kase, "burst")) {
        long n = argc > 4 ? strtol (argv[4], NULL, 10) : 0;
        if (n <= 0 || argc < 6) {
            fprintf (stderr, "usage: sw_probe ENDPOINT burst PROJECT N TAG [RESEND_MS]\n");
            return 2;
        }
        long resend = argc > 6 ? strtol (argv[6], NULL, 10) : 2000;
        int rc = s_burst (sock, project, n, argv[5], now, resend > 0 ? resend : 2000);
        zsock_destroy (&sock);
        return rc;
    }

    Sitewatch__V1__Request req = SITEWATCH__V1__REQUEST__INIT;
    Sitewatch__V1__Report rep = SITEWATCH__V1__REPORT__INIT;
    Sitewatch__V1__Problem prob = SITEWATCH__V1__PROBLEM__INIT;
    Sitewatch__V1__Problem *probs[1] = { &prob };
    char rid[27];
    sw_id_new (rid);
    req.version = SW_WIRE_VERSION;
    req.request_id = "probe";
    req.body_case = SITEWATCH__V1__REQUEST__BODY_REPORT;
    req.report = &rep;
    rep.report_id = rid;
    rep.project_id = (char *) project;
    rep.source = SITEWATCH__V1__SOURCE__SOURCE_COMMISSIONER;
    rep.observed_at = now;
    rep.percent_bp = 5000;
    char *big = NULL;
    char **many = NULL;

    if (streq (kase, "garbage")) {
        zstr_send (sock, "\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01 not protobuf");
        s_print (sock);
        zsock_destroy (&sock);
        return 0;
    }
    if (streq (kase, "empty")) {
        zmq_send (zsock_resolve (sock), "", 0, 0);
        s_print (sock);
        zsock_destroy (&sock);
        return 0;
    }
    if (streq (kase, "unknown_project"))
        rep.project_id = "NO_SUCH_PROJECT";
    else if (streq (kase, "bad_percent"))
        rep.percent_bp = 10001;
    else if (streq (kase, "future"))
        rep.observed_at = now + 3600000;
    else if (streq (kase, "too_old"))
        rep.observed_at = now - 15LL * 86400000;
    else if (streq (kase, "badversion"))
        req.version = 99;
    else if (streq (kase, "long_id")) {
        big = malloc (10001);
        memset (big, 'x', 10000);
        big[10000] = 0;
        rep.report_id = big;
    }
    else if (streq (kase, "bad_utf8")) {
        prob.text = "caf\xc3( \xff\xfe";   /* a cut sequence, bytes never in UTF-8 */
        prob.severity = SITEWATCH__V1__SEVERITY__SEVERITY_MINOR;
        rep.problems = probs;
        rep.n_problems = 1;
    }
    else if (streq (kase, "nul_in_string")) {
        prob.text = "before\0after";
        prob.severity = SITEWATCH__V1__SEVERITY__SEVERITY_MINOR;
        rep.problems = probs;
        rep.n_problems = 1;
    }
    else if (streq (kase, "oversize")) {
        big = malloc (70001);
        memset (big, 'a', 70000);
        big[70000] = 0;
        prob.text = big;
        prob.severity = SITEWATCH__V1__SEVERITY__SEVERITY_MINOR;
        rep.problems = probs;
        rep.n_problems = 1;
    }
    else if (streq (kase, "huge_repeated")) {
        many = calloc (5000, sizeof *many);
        for (int i = 0; i < 5000; i++)
            many[i] = "x/1";
        rep.resolves = many;
        rep.n_resolves = 5000;
    }
    size_t n;
    uint8_t *buf = sw_wire_pack (&req.base, &n);
    if (streq (kase, "nul_in_string")) {
        /* protobuf-c packs up to the NUL: splice one into the text bytes */
        uint8_t *pos = memmem (buf, n, "before", 6);
        if (pos) {
            uint8_t *copy = malloc (n + 6);
            size_t off = (size_t) (pos - buf) + 6;
            memcpy (copy, buf, off);
            memcpy (copy + off, "\0after", 6);
            memcpy (copy + off + 6, buf + off, n - off);
            /* lengths in the envelope are now off by 6: the frame is corrupt
             * or the string holds a NUL; either way it must be refused */
            free (buf);
            buf = copy;
            n += 6;
        }
    }
    if (streq (kase, "truncated"))
        n = n / 2;
    if (streq (kase, "unknown_field0")) {
        size_t rn;
        uint8_t *rbuf = sw_wire_pack (&rep.base, &rn);
        free (buf);
        buf = malloc (rn + 32);
        n = 0;
        buf[n++] = 0x08;    /* version = 1 */
        buf[n++] = 0x01;
        buf[n++] = 0x12;    /* request_id = "probe" */
        buf[n++] = 5;
        memcpy (buf + n, "probe", 5);
        n += 5;
        buf[n++] = 0x52;    /* report, length-delimited */
        for (size_t len = rn + 3; ; len >>= 7) {
            buf[n++] = (uint8_t) ((len & 0x7f) | (len > 0x7f ? 0x80 : 0));
            if (len <= 0x7f)
                break;
        }
        memcpy (buf + n, rbuf, rn);
        n += rn;
        memcpy (buf + n, "\x80\x00\x00", 3);   /* field 0, varint 0 */
        n += 3;
        free (rbuf);
    }
    if (streq (kase, "multi")) {
        zmq_send (zsock_resolve (sock), buf, n, ZMQ_SNDMORE);
        zmq_send (zsock_resolve (sock), buf, n, 0);
    }
    else
        zmq_send (zsock_resolve (sock), buf, n, 0);
    s_print (sock);
    free (buf);
    free (big);
    free (many);
    zsock_destroy (&sock);
    return 0;
}
