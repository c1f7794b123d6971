/* bench_proc: the servers under test, started from this executable's
 * directory into a fresh temp directory, and reaped by pid (never by name);
 * /proc sampling (CPU, RSS) and du; latency samples. */
#define _GNU_SOURCE /* nftw's FTW_DEPTH/FTW_PHYS */
#include "bench.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

bool bench_quiet = false;

void
bench_say (const char *fmt, ...)
{
    if (bench_quiet)
        return;
    va_list ap;
    va_start (ap, fmt);
    fprintf (stderr, "bench: ");
    vfprintf (stderr, fmt, ap);
    fputc ('\n', stderr);
    va_end (ap);
}

int64_t
bench_now_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---------------------------------------------------------- latencies */

void
bench_lat_add (bench_lat_t *self, int64_t us)
{
    if (self->n == self->cap) {
        self->cap = self->cap ? self->cap * 2 : 4096;
        self->us = realloc (self->us, self->cap * sizeof *self->us);
        if (!self->us)
            abort ();
    }
    self->us[self->n++] = us < 0 ? 0 : us > UINT32_MAX ? UINT32_MAX : (uint32_t) us;
    self->sorted = false;
}

void
bench_lat_merge (bench_lat_t *self, const bench_lat_t *other)
{
    for (size_t i = 0; i < other->n; i++)
        bench_lat_add (self, other->us[i]);
}

static int
s_cmp_u32 (const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
    return x < y ? -1 : x > y;
}

double
bench_lat_ms (bench_lat_t *self, double q)
{
    if (!self->n)
        return -1;
    if (!self->sorted) {
        qsort (self->us, self->n, sizeof *self->us, s_cmp_u32);
        self->sorted = true;
    }
    size_t i = (size_t) (q * (double) self->n);
    if (i >= self->n)
        i = self->n - 1;
    return self->us[i] / 1000.0;
}

void
bench_lat_clear (bench_lat_t *self)
{
    free (self->us);
    memset (self, 0, sizeof *self);
}

/* ------------------------------------------------------------ helpers */

void
bench_self_dir (char *buf, size_t cap)
{
    ssize_t n = readlink ("/proc/self/exe", buf, cap - 1);
    if (n <= 0) {
        snprintf (buf, cap, ".");
        return;
    }
    buf[n] = 0;
    char *slash = strrchr (buf, '/');
    if (slash)
        *slash = 0;
}

static bool
s_port_free (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in a;
    memset (&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons ((uint16_t) port);
    a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    bool ok = bind (fd, (struct sockaddr *) &a, sizeof a) == 0;
    close (fd);
    return ok;
}

int
bench_free_ports (void)
{
    srand ((unsigned) (getpid () ^ bench_now_us ()));
    for (int attempt = 0; attempt < 200; attempt++) {
        int base = 30000 + (rand () % 2500) * 10;
        bool ok = true;
        for (int i = 0; i < 4 && ok; i++)
            ok = s_port_free (base + i);
        if (ok)
            return base;
    }
    return -1;
}

static uint64_t s_du_total;

static int
s_du_visit (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    if (flag == FTW_F)
        s_du_total += (uint64_t) st->st_blocks * 512;
    return 0;
}

uint64_t
bench_du (const char *dir)
{
    s_du_total = 0;
    nftw (dir, s_du_visit, 16, FTW_PHYS);
    return s_du_total;
}

static int
s_rm_visit (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove (path);
}

int
bench_mkdtemp (char *buf, size_t cap, const char *prefix)
{
    const char *tmp = getenv ("TMPDIR");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    int n = snprintf (buf, cap, "%s/%s.XXXXXX", tmp, prefix);
    if (n < 0 || (size_t) n >= cap) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return mkdtemp (buf) ? 0 : -1;
}

int
bench_rmtree (const char *dir)
{
    return nftw (dir, s_rm_visit, 16, FTW_DEPTH | FTW_PHYS);
}

int
bench_proc_sample (pid_t pid, bench_proc_t *out)
{
    memset (out, 0, sizeof *out);
    char path[64], buf[4096];
    snprintf (path, sizeof path, "/proc/%ld/stat", (long) pid);
    FILE *f = fopen (path, "r");
    if (!f)
        return -1;
    size_t n = fread (buf, 1, sizeof buf - 1, f);
    fclose (f);
    buf[n] = 0;
    char *p = strrchr (buf, ')');
    if (!p)
        return -1;
    /* After ')': field 3 (state) onwards; utime and stime are fields 14, 15. */
    unsigned long long utime = 0, stime = 0;
    char *save = NULL;
    int field = 3;
    for (char *tok = strtok_r (p + 1, " ", &save); tok; tok = strtok_r (NULL, " ", &save), field++) {
        if (field == 14)
            utime = strtoull (tok, NULL, 10);
        else if (field == 15) {
            stime = strtoull (tok, NULL, 10);
            break;
        }
    }
    long hz = sysconf (_SC_CLK_TCK);
    out->cpu_s = (double) (utime + stime) / (double) (hz > 0 ? hz : 100);
    snprintf (path, sizeof path, "/proc/%ld/status", (long) pid);
    f = fopen (path, "r");
    if (!f)
        return -1;
    char line[256];
    while (fgets (line, sizeof line, f)) {
        double kb = 0;
        if (sscanf (line, "VmRSS: %lf", &kb) == 1)
            out->rss_mb = kb / 1024;
        else if (sscanf (line, "VmHWM: %lf", &kb) == 1)
            out->hwm_mb = kb / 1024;
        else if (sscanf (line, "RssAnon: %lf", &kb) == 1)
            out->rss_anon_mb = kb / 1024;
        else if (sscanf (line, "RssFile: %lf", &kb) == 1)
            out->rss_file_mb = kb / 1024;
    }
    fclose (f);
    return 0;
}

/* ------------------------------------------------------------ servers */

static const char *s_four[] = { "notify", "escalation", "rules", "intake" };

int
bench_servers_init (bench_servers_t *self, bench_form_t form, const char *bindir,
                    const char *log_level)
{
    memset (self, 0, sizeof *self);
    self->form = form;
    snprintf (self->bindir, sizeof self->bindir, "%s", bindir);
    snprintf (self->log_level, sizeof self->log_level, "%s", log_level);
    if (bench_mkdtemp (self->work, sizeof self->work, "sitewatch-bench") != 0) {
        fprintf (stderr, "sitewatch-bench: cannot create a temp directory: %s\n", strerror (errno));
        return -1;
    }
    int port = bench_free_ports ();
    if (port < 0) {
        fprintf (stderr, "sitewatch-bench: no free loopback ports\n");
        return -1;
    }
    snprintf (self->endpoint, sizeof self->endpoint, "tcp://127.0.0.1:%d", port);
    snprintf (self->rules, sizeof self->rules, "tcp://127.0.0.1:%d", port + 1);
    snprintf (self->escalation, sizeof self->escalation, "tcp://127.0.0.1:%d", port + 2);
    snprintf (self->notify, sizeof self->notify, "tcp://127.0.0.1:%d", port + 3);
    if (form == BENCH_FORM_SITEWATCHD) {
        self->n = 1;
        snprintf (self->names[0], sizeof self->names[0], "sitewatchd");
    }
    else {
        self->n = 4;
        for (int i = 0; i < 4; i++)
            snprintf (self->names[i], sizeof self->names[i], "%s", s_four[i]);
    }
    return 0;
}

int
bench_servers_start_one (bench_servers_t *self, int i)
{
    char prog[4200], data[4200], log[4200];
    if (self->form == BENCH_FORM_SITEWATCHD) {
        snprintf (prog, sizeof prog, "%s/sitewatchd", self->bindir);
        snprintf (data, sizeof data, "%s/data", self->work);
    }
    else {
        snprintf (prog, sizeof prog, "%s/sitewatch-%s", self->bindir, self->names[i]);
        snprintf (data, sizeof data, "%s/data-%s", self->work, self->names[i]);
    }
    snprintf (log, sizeof log, "%s/%s.log", self->work, self->names[i]);
    if (access (prog, X_OK) != 0) {
        fprintf (stderr, "sitewatch-bench: %s is not there (build it, or pass --bin DIR)\n", prog);
        return -1;
    }
    char *argv[32];
    int a = 0;
    argv[a++] = prog;
    argv[a++] = "--data";
    argv[a++] = data;
    argv[a++] = "--clock";
    argv[a++] = "manual";
    argv[a++] = "--log-level";
    argv[a++] = self->log_level;
    argv[a++] = "--endpoint";
    argv[a++] = self->endpoint;
    if (self->form == BENCH_FORM_FOUR) {
        argv[a++] = "--rules-endpoint";
        argv[a++] = self->rules;
        argv[a++] = "--escalation-endpoint";
        argv[a++] = self->escalation;
        argv[a++] = "--notify-endpoint";
        argv[a++] = self->notify;
    }
    argv[a] = NULL;
    int fd = open (log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    self->started_us[i] = bench_now_us ();
    pid_t pid = fork ();
    if (pid < 0) {
        close (fd);
        return -1;
    }
    if (pid == 0) {
        /* Only async-signal-safe calls between fork and exec. */
        int null = open ("/dev/null", O_RDONLY);
        if (null >= 0)
            dup2 (null, 0);
        dup2 (fd, 1);
        dup2 (fd, 2);
        /* A bench that dies takes its servers with it (forks are made by the
         * main thread only, whose exit is what triggers this). */
        prctl (PR_SET_PDEATHSIG, SIGKILL);
        sigset_t none;
        sigemptyset (&none);
        sigprocmask (SIG_SETMASK, &none, NULL);
        execv (prog, argv);
        _exit (127);
    }
    close (fd);
    self->pid[i] = pid;
    return 0;
}

int
bench_servers_start (bench_servers_t *self, int timeout_ms)
{
    for (int i = 0; i < self->n; i++)
        if (bench_servers_start_one (self, i) != 0)
            return -1;
    sw_client_t *c = bench_client_new (self->endpoint);
    int64_t deadline = bench_now_us () + (int64_t) timeout_ms * 1000;
    int rc = -1;
    while (bench_now_us () < deadline && !zsys_interrupted) {
        const char *dead = bench_servers_dead (self);
        if (dead) {
            fprintf (stderr, "sitewatch-bench: %s exited at start\n", dead);
            for (int i = 0; i < self->n; i++)
                bench_servers_tail_log (self, i);
            break;
        }
        Sitewatch__V1__ClockCommand cc = SITEWATCH__V1__CLOCK_COMMAND__INIT;
        cc.op = SITEWATCH__V1__CLOCK_COMMAND__OP__OP_SHOW;
        Sitewatch__V1__Request req = SITEWATCH__V1__REQUEST__INIT;
        req.body_case = SITEWATCH__V1__REQUEST__BODY_CLOCK;
        req.clock = &cc;
        Sitewatch__V1__Response *r = bench_call (c, &req, 200, 50);
        if (r) {
            sitewatch__v1__response__free_unpacked (r, NULL);
            rc = 0;
            break;
        }
    }
    sw_client_destroy (&c);
    if (rc != 0)
        fprintf (stderr, "sitewatch-bench: the servers did not answer at %s\n", self->endpoint);
    return rc;
}

void
bench_servers_kill (bench_servers_t *self, int i, int sig)
{
    if (self->pid[i] <= 0)
        return;
    kill (self->pid[i], sig);
    for (int t = 0; t < 1000; t++) {
        if (waitpid (self->pid[i], NULL, WNOHANG) == self->pid[i]) {
            self->pid[i] = 0;
            return;
        }
        usleep (10000);
    }
    kill (self->pid[i], SIGKILL);
    waitpid (self->pid[i], NULL, 0);
    self->pid[i] = 0;
}

void
bench_servers_stop (bench_servers_t *self)
{
    /* The front door first, then downstream (reverse of start). */
    for (int i = self->n - 1; i >= 0; i--)
        bench_servers_kill (self, i, SIGTERM);
}

const char *
bench_servers_dead (bench_servers_t *self)
{
    for (int i = 0; i < self->n; i++) {
        if (self->pid[i] <= 0)
            continue;
        int status;
        if (waitpid (self->pid[i], &status, WNOHANG) == self->pid[i]) {
            self->pid[i] = 0;
            return self->names[i];
        }
    }
    return NULL;
}

uint64_t
bench_servers_du (const bench_servers_t *self)
{
    uint64_t total = 0;
    char dir[4200];
    if (self->form == BENCH_FORM_SITEWATCHD) {
        snprintf (dir, sizeof dir, "%s/data", self->work);
        return bench_du (dir);
    }
    for (int i = 0; i < self->n; i++) {
        snprintf (dir, sizeof dir, "%s/data-%s", self->work, self->names[i]);
        total += bench_du (dir);
    }
    return total;
}

void
bench_servers_tail_log (const bench_servers_t *self, int i)
{
    char path[4200];
    snprintf (path, sizeof path, "%s/%s.log", self->work, self->names[i]);
    FILE *f = fopen (path, "r");
    if (!f)
        return;
    char *lines[10] = { 0 };
    size_t n = 0;
    char buf[1024];
    while (fgets (buf, sizeof buf, f)) {
        free (lines[n % 10]);
        lines[n % 10] = strdup (buf);
        n++;
    }
    fclose (f);
    for (size_t k = n > 10 ? n - 10 : 0; k < n; k++) {
        fprintf (stderr, "  %s| %s", self->names[i], lines[k % 10]);
    }
    for (int k = 0; k < 10; k++)
        free (lines[k]);
}
