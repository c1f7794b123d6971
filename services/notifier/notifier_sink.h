/* notifier_sink: where the leadership notifier hands a report to people.
 * One sink per notifier, chosen by --notifier-sink:
 *   stdout        one JSON line per report on standard output
 *   file:PATH     the line appended to PATH, then fsync (the file is opened
 *                 for each delivery, so it may be rotated by renaming)
 *   http://URL    the JSON POSTed with libcurl (Content-Type
 *   https://URL   application/json, Idempotency-Key: <report id>);
 *                 delivered only on a 2xx answer within the timeout
 * A failed delivery leaves nothing behind that a retry would double: a
 * partly appended line is cut off again. Every document is a JSON object
 * whose first member is "report_id" (see notifier_sink_has). */
#ifndef NOTIFIER_SINK_H
#define NOTIFIER_SINK_H

#include <stddef.h>

typedef struct notifier_sink_t notifier_sink_t;

/* Parses spec and prepares the sink; timeout_ms bounds one HTTP delivery
 * (connect and transfer). Returns NULL with a reason in err for an empty
 * or unknown spec, "file:" without a path, or a URL libcurl cannot take. */
notifier_sink_t *notifier_sink_new (const char *spec, long timeout_ms, char *err, size_t errlen);

/* Frees the sink; safe on NULL and twice. */
void notifier_sink_destroy (notifier_sink_t **self_p);

/* Delivers one document of len bytes (a JSON object, no newline: stdout and
 * file sinks add one). key identifies it to a webhook (Idempotency-Key
 * header; may be NULL). Returns 0 once the sink has it (written and synced;
 * or answered 2xx), -1 with the reason in err otherwise; the caller retries. */
int notifier_sink_deliver (notifier_sink_t *self, const char *doc, size_t len, const char *key,
                           char *err, size_t errlen);

/* After a crash between a delivery and its record: does the sink already
 * hold the document whose key (report id) is given? For a file sink: 1 when
 * a line of the file starts {"report_id":"<key>", 0 when none does (or the
 * file is missing). -1 for sinks that cannot tell (stdout, HTTP: the caller
 * delivers again; a webhook dedupes on the Idempotency-Key header). */
int notifier_sink_has (notifier_sink_t *self, const char *key);

/* "stdout", "file:PATH" or the URL, for logs. */
const char *notifier_sink_name (const notifier_sink_t *self);

#endif
