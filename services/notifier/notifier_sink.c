/* notifier_sink: stdout, append-and-fsync file, or HTTP POST via libcurl. */
#include "notifier_sink.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef enum { SINK_STDOUT, SINK_FILE, SINK_HTTP } s_kind_t;

struct notifier_sink_t {
    s_kind_t kind;
    char *path;          /* file */
    char *url;           /* http */
    char *name;          /* for logs: no path or query of a URL (they may hold tokens) */
    long timeout_ms;
    CURL *curl;          /* kept between deliveries: connection reuse */
};

static char *
s_dup (const char *s)
{
    char *p = strdup (s);
    if (!p)
        abort ();
    return p;
}

/* "scheme://host[:port]" of a URL, or NULL when libcurl cannot parse it. */
static char *
s_url_name (const char *url)
{
    CURLU *u = curl_url ();
    if (!u)
        abort ();
    char *scheme = NULL, *host = NULL, *port = NULL, *name = NULL;
    if (curl_url_set (u, CURLUPART_URL, url, 0) == CURLUE_OK
        && curl_url_get (u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK
        && curl_url_get (u, CURLUPART_HOST, &host, 0) == CURLUE_OK && *host) {
        curl_url_get (u, CURLUPART_PORT, &port, 0);
        size_t n = strlen (scheme) + strlen (host) + (port ? strlen (port) : 0) + 8;
        name = malloc (n);
        if (!name)
            abort ();
        snprintf (name, n, "%s://%s%s%s", scheme, host, port ? ":" : "", port ? port : "");
    }
    curl_free (scheme);
    curl_free (host);
    curl_free (port);
    curl_url_cleanup (u);
    return name;
}

notifier_sink_t *
notifier_sink_new (const char *spec, long timeout_ms, char *err, size_t errlen)
{
    if (!spec || !*spec) {
        snprintf (err, errlen, "--notifier-sink is empty (stdout, file:PATH or http(s)://URL)");
        return NULL;
    }
    notifier_sink_t *self = calloc (1, sizeof *self);
    if (!self)
        abort ();
    self->timeout_ms = timeout_ms > 0 ? timeout_ms : 5000;
    if (strcmp (spec, "stdout") == 0) {
        self->kind = SINK_STDOUT;
        self->name = s_dup ("stdout");
        return self;
    }
    if (strncmp (spec, "file:", 5) == 0) {
        if (!spec[5]) {
            snprintf (err, errlen, "--notifier-sink file: needs a path (file:/var/log/leaders.jsonl)");
            free (self);
            return NULL;
        }
        self->kind = SINK_FILE;
        self->path = s_dup (spec + 5);
        self->name = s_dup (spec);
        return self;
    }
    if (strncmp (spec, "http://", 7) == 0 || strncmp (spec, "https://", 8) == 0) {
        if (curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            snprintf (err, errlen, "libcurl cannot start");
            free (self);
            return NULL;
        }
        self->kind = SINK_HTTP;
        self->name = s_url_name (spec);
        self->curl = self->name ? curl_easy_init () : NULL;
        if (!self->curl) {
            snprintf (err, errlen, "--notifier-sink: '%s' is not a URL libcurl can use", spec);
            free (self->name);
            free (self);
            curl_global_cleanup ();
            return NULL;
        }
        self->url = s_dup (spec);
        return self;
    }
    snprintf (err, errlen, "--notifier-sink must be stdout, file:PATH or http(s)://URL, not '%s'",
              spec);
    free (self);
    return NULL;
}

void
notifier_sink_destroy (notifier_sink_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    notifier_sink_t *self = *self_p;
    if (self->kind == SINK_HTTP) {
        curl_easy_cleanup (self->curl);
        curl_global_cleanup ();
    }
    free (self->path);
    free (self->url);
    free (self->name);
    free (self);
    *self_p = NULL;
}

const char *
notifier_sink_name (const notifier_sink_t *self)
{
    return self->name;
}

/* Writes all of buf to fd; 0 / -1 (errno set). */
static int
s_write_all (int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write (fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t) n;
    }
    return 0;
}

static char *
s_line (const char *doc, size_t len)
{
    char *line = malloc (len + 1);
    if (!line)
        abort ();
    memcpy (line, doc, len);
    line[len] = '\n';
    return line;
}

static int
s_deliver_stdout (const char *doc, size_t len, char *err, size_t errlen)
{
    char *line = s_line (doc, len);
    fflush (stdout);            /* keep order with anything printed through stdio */
    int rc = s_write_all (STDOUT_FILENO, line, len + 1);
    if (rc != 0)
        snprintf (err, errlen, "stdout: %s", strerror (errno));
    free (line);
    return rc;
}

static int
s_deliver_file (notifier_sink_t *self, const char *doc, size_t len, char *err, size_t errlen)
{
    int fd = open (self->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf (err, errlen, "%s: %s", self->path, strerror (errno));
        return -1;
    }
    struct stat before;
    int rc = fstat (fd, &before);
    char *line = s_line (doc, len);
    if (rc == 0)
        rc = s_write_all (fd, line, len + 1);
    if (rc == 0)
        rc = fsync (fd);
    if (rc != 0) {
        snprintf (err, errlen, "%s: %s", self->path, strerror (errno));
        /* No half line for the retry to follow: cut back to where we began. */
        if (ftruncate (fd, before.st_size) != 0) {
            size_t used = strlen (err);
            snprintf (err + used, errlen - used, " (and the partial line could not be removed)");
        }
    }
    free (line);
    close (fd);
    return rc;
}

static size_t
s_discard (char *data, size_t size, size_t nmemb, void *arg)
{
    (void) data;
    (void) arg;
    return size * nmemb;
}

static int
s_deliver_http (notifier_sink_t *self, const char *doc, size_t len, const char *key, char *err,
                size_t errlen)
{
    CURL *c = self->curl;
    curl_easy_reset (c);
    struct curl_slist *headers = curl_slist_append (NULL, "Content-Type: application/json");
    char idem[300] = "";
    if (key && *key && strlen (key) < sizeof idem - 20) {
        snprintf (idem, sizeof idem, "Idempotency-Key: %s", key);
        headers = curl_slist_append (headers, idem);
    }
    headers = curl_slist_append (headers, "Expect:"); /* no 100-continue round trip */
    if (!headers)
        abort ();
    curl_easy_setopt (c, CURLOPT_URL, self->url);
    curl_easy_setopt (c, CURLOPT_POST, 1L);
    curl_easy_setopt (c, CURLOPT_POSTFIELDS, doc);
    curl_easy_setopt (c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) len);
    curl_easy_setopt (c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt (c, CURLOPT_TIMEOUT_MS, self->timeout_ms);
    curl_easy_setopt (c, CURLOPT_CONNECTTIMEOUT_MS, self->timeout_ms);
    curl_easy_setopt (c, CURLOPT_NOSIGNAL, 1L);         /* we run in a thread */
    curl_easy_setopt (c, CURLOPT_FOLLOWLOCATION, 0L);   /* a redirect is not a delivery */
    curl_easy_setopt (c, CURLOPT_WRITEFUNCTION, s_discard);
    curl_easy_setopt (c, CURLOPT_USERAGENT, "sitewatch-notifier/1");
    char cerr[CURL_ERROR_SIZE] = "";
    curl_easy_setopt (c, CURLOPT_ERRORBUFFER, cerr);
    CURLcode res = curl_easy_perform (c);
    long status = 0;
    curl_easy_getinfo (c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_setopt (c, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt (c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all (headers);
    if (res != CURLE_OK) {
        snprintf (err, errlen, "%s: %s", self->name, *cerr ? cerr : curl_easy_strerror (res));
        return -1;
    }
    if (status < 200 || status > 299) {
        snprintf (err, errlen, "%s: answered HTTP %ld", self->name, status);
        return -1;
    }
    return 0;
}

int
notifier_sink_has (notifier_sink_t *self, const char *key)
{
    if (self->kind != SINK_FILE)
        return -1;
    FILE *f = fopen (self->path, "r");
    if (!f)
        return 0;
    size_t plen = strlen (key) + 20;
    char *prefix = malloc (plen);
    if (!prefix)
        abort ();
    snprintf (prefix, plen, "{\"report_id\":\"%s\"", key);
    size_t n = strlen (prefix);
    char *line = NULL;
    size_t cap = 0;
    int found = 0;
    while (!found && getline (&line, &cap, f) >= 0)
        found = strncmp (line, prefix, n) == 0;
    free (line);
    free (prefix);
    fclose (f);
    return found;
}

int
notifier_sink_deliver (notifier_sink_t *self, const char *doc, size_t len, const char *key,
                       char *err, size_t errlen)
{
    switch (self->kind) {
    case SINK_STDOUT: return s_deliver_stdout (doc, len, err, errlen);
    case SINK_FILE: return s_deliver_file (self, doc, len, err, errlen);
    case SINK_HTTP: return s_deliver_http (self, doc, len, key, err, errlen);
    }
    snprintf (err, errlen, "no sink");
    return -1;
}
