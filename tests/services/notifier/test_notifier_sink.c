/*  Tests of the leadership notifier's sinks: which specs are accepted, the
    file sink (one synced line per delivery, failures reported), and the
    HTTP sink against a tiny loopback server (2xx delivers; other statuses,
    a refused connection and a silent server within the timeout do not). */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "notifier_sink.h"

/* ------------------------------------------------------------- specs */

static void
test_specs (void **state)
{
    (void) state;
    static const struct {
        const char *spec;
        const char *name;     /* NULL: refused */
    } cases[] = {
        { "stdout", "stdout" },
        { "file:/tmp/x.jsonl", "file:/tmp/x.jsonl" },
        { "http://127.0.0.1:9/hook?token=secret", "http://127.0.0.1:9" },
        { "https://example.invalid/leaders", "https://example.invalid" },
        { "", NULL },
        { "file:", NULL },
        { "stderr", NULL },
        { "ftp://host/x", NULL },
        { "http://", NULL },
        { "/tmp/file", NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[256] = "";
        notifier_sink_t *s = notifier_sink_new (cases[i].spec, 1000, err, sizeof err);
        if (cases[i].name) {
            assert_non_null (s);
            assert_string_equal (notifier_sink_name (s), cases[i].name);
        }
        else {
            assert_null (s);
            assert_true (strlen (err) > 0);
        }
        notifier_sink_destroy (&s);
        notifier_sink_destroy (&s); /* safe twice */
    }
    char err[64];
    assert_null (notifier_sink_new (NULL, 1000, err, sizeof err));
}

/* -------------------------------------------------------------- file */

static char *
s_slurp (const char *path)
{
    FILE *f = fopen (path, "rb");
    if (!f)
        return NULL;
    static char buf[4096];
    size_t n = fread (buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose (f);
    return buf;
}

static void
test_file_sink (void **state)
{
    (void) state;
    char dir[] = "/tmp/sw-sink-XXXXXX";
    assert_non_null (mkdtemp (dir));
    char spec[256], path[256];
    snprintf (path, sizeof path, "%s/leaders.jsonl", dir);
    snprintf (spec, sizeof spec, "file:%s", path);
    char err[256];
    notifier_sink_t *s = notifier_sink_new (spec, 1000, err, sizeof err);
    assert_non_null (s);
    assert_int_equal (notifier_sink_deliver (s, "{\"a\":1}", 7, "LR-1", err, sizeof err), 0);
    assert_int_equal (notifier_sink_deliver (s, "{\"b\":2}xx", 7, "LR-2", err, sizeof err), 0);
    assert_string_equal (s_slurp (path), "{\"a\":1}\n{\"b\":2}\n");
    notifier_sink_destroy (&s);

    /* after a crash: is a report already in the file? */
    s = notifier_sink_new (spec, 1000, err, sizeof err);
    assert_non_null (s);
    assert_int_equal (notifier_sink_has (s, "LR-P1.1"), 0);
    const char *line = "{\"report_id\":\"LR-P1.1\",\"project_id\":\"P1\"}";
    assert_int_equal (notifier_sink_deliver (s, line, strlen (line), "LR-P1.1", err, sizeof err), 0);
    assert_int_equal (notifier_sink_has (s, "LR-P1.1"), 1);
    assert_int_equal (notifier_sink_has (s, "LR-P1"), 0);      /* a prefix is not the id */
    assert_int_equal (notifier_sink_has (s, "LR-P1.10"), 0);
    notifier_sink_destroy (&s);
    s = notifier_sink_new ("stdout", 1000, err, sizeof err);
    assert_int_equal (notifier_sink_has (s, "LR-P1.1"), -1);  /* cannot tell */
    notifier_sink_destroy (&s);

    /* a sink whose directory is missing fails, naming the path */
    snprintf (spec, sizeof spec, "file:%s/missing/leaders.jsonl", dir);
    s = notifier_sink_new (spec, 1000, err, sizeof err);
    assert_non_null (s);
    err[0] = 0;
    assert_int_equal (notifier_sink_deliver (s, "{}", 2, NULL, err, sizeof err), -1);
    assert_non_null (strstr (err, "missing/leaders.jsonl"));
    notifier_sink_destroy (&s);

    s = notifier_sink_new ("file:/nonexistent-dir/x", 1000, err, sizeof err);
    assert_int_equal (notifier_sink_has (s, "LR-P1.1"), 0);
    notifier_sink_destroy (&s);

    unlink (path);
    rmdir (dir);
}

/* -------------------------------------------------------------- http */

typedef struct {
    int listener;
    int port;
    int status;          /* answer with this; 0 = never answer */
    char request[8192];  /* what arrived */
} s_server_t;

static void *
s_serve_one (void *arg)
{
    s_server_t *srv = arg;
    int fd = accept (srv->listener, NULL, NULL);
    if (fd < 0)
        return NULL;
    size_t got = 0;
    /* headers, then Content-Length bytes of body */
    for (;;) {
        ssize_t n = recv (fd, srv->request + got, sizeof srv->request - 1 - got, 0);
        if (n <= 0)
            break;
        got += (size_t) n;
        srv->request[got] = 0;
        char *end = strstr (srv->request, "\r\n\r\n");
        const char *cl = strstr (srv->request, "Content-Length: ");
        if (end && cl && got >= (size_t) (end + 4 - srv->request) + (size_t) atoi (cl + 16))
            break;
    }
    if (srv->status) {
        char answer[128];
        int n = snprintf (answer, sizeof answer,
                          "HTTP/1.1 %d X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                          srv->status);
        if (send (fd, answer, (size_t) n, 0) < 0)
            perror ("send");
    }
    else
        sleep (2);       /* silent: the client must give up first */
    close (fd);
    return NULL;
}

static void
s_listen (s_server_t *srv)
{
    srv->listener = socket (AF_INET, SOCK_STREAM, 0);
    assert_true (srv->listener >= 0);
    struct sockaddr_in a;
    memset (&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    assert_int_equal (bind (srv->listener, (struct sockaddr *) &a, sizeof a), 0);
    assert_int_equal (listen (srv->listener, 4), 0);
    socklen_t len = sizeof a;
    assert_int_equal (getsockname (srv->listener, (struct sockaddr *) &a, &len), 0);
    srv->port = ntohs (a.sin_port);
}

static double
s_now (void)
{
    struct timespec t;
    clock_gettime (CLOCK_MONOTONIC, &t);
    return (double) t.tv_sec + t.tv_nsec / 1e9;
}

/* One POST against a server answering status; returns the sink's result
 * and how long the delivery took (s) in *took. */
static int
s_post (int status, long timeout_ms, s_server_t *srv, char *err, size_t errlen, double *took)
{
    memset (srv, 0, sizeof *srv);
    srv->status = status;
    s_listen (srv);
    pthread_t t;
    assert_int_equal (pthread_create (&t, NULL, s_serve_one, srv), 0);
    char spec[128];
    snprintf (spec, sizeof spec, "http://127.0.0.1:%d/hook", srv->port);
    notifier_sink_t *s = notifier_sink_new (spec, timeout_ms, err, errlen);
    assert_non_null (s);
    double t0 = s_now ();
    int rc = notifier_sink_deliver (s, "{\"report_id\":\"LR-P1.1\"}", 23, "LR-P1.1", err, errlen);
    *took = s_now () - t0;
    notifier_sink_destroy (&s);
    pthread_join (t, NULL);
    close (srv->listener);
    return rc;
}

static void
test_http_sink (void **state)
{
    (void) state;
    setenv ("NO_PROXY", "*", 1);   /* loopback only, whatever the environment says */
    s_server_t *srv = calloc (1, sizeof *srv);
    assert_non_null (srv);
    char err[256];
    double took;

    static const int delivered[] = { 200, 201, 202, 204 };
    for (size_t i = 0; i < sizeof delivered / sizeof delivered[0]; i++) {
        assert_int_equal (s_post (delivered[i], 2000, srv, err, sizeof err, &took), 0);
        assert_non_null (strstr (srv->request, "POST /hook HTTP/1.1\r\n"));
        assert_non_null (strstr (srv->request, "Content-Type: application/json\r\n"));
        assert_non_null (strstr (srv->request, "Idempotency-Key: LR-P1.1\r\n"));
        assert_non_null (strstr (srv->request, "\r\n\r\n{\"report_id\":\"LR-P1.1\"}"));
    }
    static const int refused[] = { 301, 400, 404, 500, 503 };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        err[0] = 0;
        assert_int_equal (s_post (refused[i], 2000, srv, err, sizeof err, &took), -1);
        char want[32];
        snprintf (want, sizeof want, "HTTP %d", refused[i]);
        assert_non_null (strstr (err, want));
    }

    /* a server that never answers: given up after the timeout */
    err[0] = 0;
    assert_int_equal (s_post (0, 300, srv, err, sizeof err, &took), -1);
    assert_true (took >= 0.25 && took < 1.5);  /* the server holds the connection for 2 s */
    assert_true (strlen (err) > 0);

    /* nobody listening */
    s_listen (srv);
    int port = srv->port;
    close (srv->listener);
    char spec[128];
    snprintf (spec, sizeof spec, "http://127.0.0.1:%d/hook", port);
    notifier_sink_t *s = notifier_sink_new (spec, 1000, err, sizeof err);
    assert_non_null (s);
    err[0] = 0;
    assert_int_equal (notifier_sink_deliver (s, "{}", 2, NULL, err, sizeof err), -1);
    assert_true (strlen (err) > 0);
    notifier_sink_destroy (&s);
    free (srv);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_specs),
        cmocka_unit_test (test_file_sink),
        cmocka_unit_test (test_http_sink),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
