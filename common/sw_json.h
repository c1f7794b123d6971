/*  sw_json: a small JSON writer, a growable string builder for machine output
    (the command line's --json, reports). Objects, arrays, keys and scalars are
    appended in document order; commas are placed automatically. */

#ifndef SW_JSON_H_INCLUDED
#define SW_JSON_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sw_json_t sw_json_t;

/* Creates an empty writer. Never NULL (aborts on OOM, like the rest of the
   common library). */
sw_json_t *sw_json_new (void);

/* Frees the writer and sets *self_p to NULL; safe on NULL and twice. */
void sw_json_destroy (sw_json_t **self_p);

/* Empties the writer for a new document (keeps its buffer). */
void sw_json_reset (sw_json_t *self);

/* Structure. Every begin must be matched by its end; inside an object each
   value must be preceded by sw_json_key. Nesting is unlimited. */
void sw_json_obj_begin (sw_json_t *self);
void sw_json_obj_end (sw_json_t *self);
void sw_json_arr_begin (sw_json_t *self);
void sw_json_arr_end (sw_json_t *self);

/* Writes an object key (escaped like a string); the next call writes its
   value. */
void sw_json_key (sw_json_t *self, const char *key);

/* A string value. Quotes, backslashes and control characters are escaped
   (\n, \t, ..., else \u00XX); valid UTF-8 passes through unchanged; each byte
   of an invalid UTF-8 sequence becomes U+FFFD. NULL writes null. */
void sw_json_str (sw_json_t *self, const char *value);

/* An integer value. */
void sw_json_int (sw_json_t *self, int64_t value);

/* A number rounded to at most two decimals, without trailing zeros or a
   trailing point: 12.5, 15, 4.99, -0.5; never "-0". NaN and infinities,
   which JSON cannot carry, are written as null. */
void sw_json_num (sw_json_t *self, double value);

void sw_json_bool (sw_json_t *self, bool value);
void sw_json_null (sw_json_t *self);

/* The document so far, NUL-terminated; owned by the writer and valid until
   its next change. */
const char *sw_json_text (const sw_json_t *self);

/* Length of sw_json_text in bytes. */
size_t sw_json_len (const sw_json_t *self);

/* True when the text is one complete value: every object and array closed
   and no key left waiting for its value. */
bool sw_json_complete (const sw_json_t *self);

/* Writes value as sw_json_num does into buf (at least 32 bytes; values too
   large to fit are written in %g form). Shared with text renderers so that
   both outputs show the same figures. Returns buf. */
char *sw_json_num_format (double value, char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif
