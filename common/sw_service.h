/* sw_service: what every server shares: the option table, the placement of
 * one service (its data directory and endpoints), and the main() of a
 * standalone service binary. A service core is a czmq actor; sitewatchd runs
 * all of them in one process over inproc://, each sitewatch-<name> binary
 * runs one over tcp://. Same code, two placements. */
#ifndef SW_SERVICE_H
#define SW_SERVICE_H

#include "sw_config.h"

#include <czmq.h>

#define SW_DEFAULT_ENDPOINT "tcp://127.0.0.1:7600"
#define SW_DEFAULT_RULES "tcp://127.0.0.1:7611"
#define SW_DEFAULT_ESCALATION "tcp://127.0.0.1:7612"
#define SW_DEFAULT_NOTIFY "tcp://127.0.0.1:7613"

/* The options every server understands (NULL-terminated table). */
extern const sw_option_t sw_service_options[];

typedef struct {
    const sw_config_t *cfg;
    char name[32];
    char data_dir[4096];     /* this service's own LMDB directory */
    char endpoint[256];      /* intake: the front door */
    char rules[256];         /* each stage's listen endpoint */
    char escalation[256];
    char notify[256];
    int status;              /* set by the actor before it ends: 0 ok, -1 failed */
} sw_service_args_t;

/* Fills args for one service from cfg. With embedded, the data directory is
 * <data>/<name> and the internal endpoints are inproc://. */
void sw_service_args_init (sw_service_args_t *args, const sw_config_t *cfg, const char *name,
                           bool embedded);

/* The whole main() of a standalone service: loads config (printing usage on
 * --help), runs the actor until SIGINT/SIGTERM, returns the exit status. */
int sw_service_main (int argc, char **argv, const char *name, const char *summary,
                     zactor_fn *actor);

/* The body of a service's run: returns 0 on a clean stop, -1 on a fatal
 * error. */
typedef int (sw_service_run_fn) (void *ctx, zsock_t *pipe);

/* The life of a service actor once it has tried to open (open_rc 0 or -1,
 * with the reason in err): reports the start on pipe (a failure is logged
 * and printed), runs until stopped, and reports a fatal end ("$FAIL") so the
 * process exits non-zero and its supervisor restarts it. Sets args->status. */
void sw_service_serve (zsock_t *pipe, sw_service_args_t *args, int open_rc, const char *err,
                       sw_service_run_fn *run, void *ctx);

/* Reads --link-window (messages in flight on a hop, 1..SW_LINK_WINDOW_MAX).
 * 0, or -1 with the reason in err. */
int sw_service_link_window (const sw_config_t *cfg, uint32_t *window, char *err, size_t errlen);

/* Applies the common settings (log level) from cfg. */
void sw_service_apply_logging (const sw_config_t *cfg);

/* Gives memory freed since the last call back to the system, at most every
 * 2 s and only after work (busy true since the last trim): a period close
 * over 100 k projects frees hundreds of MB that glibc would otherwise keep
 * mapped. Call from a service loop's timer. */
void sw_service_trim (int64_t *last_ms, bool *busy);

/* Process-wide allocator settings for a long-running server: large buffers
 * (>= 256 KiB: frames of a registry or an express report) come from mmap
 * and go back to the system when freed. Call once, before any thread. */
void sw_service_tune_memory (void);

#endif
