/*  sw_json: a growable JSON text with a stack of open containers. The stack
    records, per open object or array, whether a value was already written, so
    the writer knows when a comma is due; a key leaves a flag so that its value
    follows the colon without one. */

#include "sw_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sw_json_t {
    char *text;
    size_t len;
    size_t cap;
    /* open containers: kind ('{' or '[') and whether one member was written */
    char *kinds;
    bool *nonempty;
    size_t depth;
    size_t depth_cap;
    bool after_key;     /* a key was written; its value comes next */
    size_t values;      /* values written at the top level */
};

static void *
s_realloc (void *ptr, size_t size)
{
    void *p = realloc (ptr, size);
    if (!p)
        abort ();
    return p;
}

static void
s_reserve (sw_json_t *self, size_t more)
{
    if (self->len + more + 1 <= self->cap)
        return;
    size_t cap = self->cap ? self->cap : 256;
    while (self->len + more + 1 > cap)
        cap *= 2;
    self->text = s_realloc (self->text, cap);
    self->cap = cap;
}

static void
s_put (sw_json_t *self, const char *s, size_t n)
{
    s_reserve (self, n);
    memcpy (self->text + self->len, s, n);
    self->len += n;
    self->text[self->len] = 0;
}

static void
s_putc (sw_json_t *self, char c)
{
    s_put (self, &c, 1);
}

/* Called before every value and every key: writes the comma when one is due. */
static void
s_separate (sw_json_t *self)
{
    if (self->after_key) {
        self->after_key = false;
        return;
    }
    if (self->depth == 0) {
        self->values++;
        return;
    }
    if (self->nonempty[self->depth - 1])
        s_putc (self, ',');
    self->nonempty[self->depth - 1] = true;
}

static void
s_open (sw_json_t *self, char kind)
{
    s_separate (self);
    if (self->depth == self->depth_cap) {
        self->depth_cap = self->depth_cap ? self->depth_cap * 2 : 16;
        self->kinds = s_realloc (self->kinds, self->depth_cap);
        self->nonempty = s_realloc (self->nonempty, self->depth_cap * sizeof (bool));
    }
    self->kinds[self->depth] = kind;
    self->nonempty[self->depth] = false;
    self->depth++;
    s_putc (self, kind);
}

static void
s_close (sw_json_t *self, char kind)
{
    /* A mismatched end is a programming mistake; keep the text as it is
       rather than underflow the stack. sw_json_complete reports it. */
    if (self->depth == 0 || self->kinds[self->depth - 1] != kind)
        return;
    self->depth--;
    s_putc (self, kind == '{' ? '}' : ']');
}

sw_json_t *
sw_json_new (void)
{
    sw_json_t *self = calloc (1, sizeof *self);
    if (!self)
        abort ();
    s_reserve (self, 0);
    self->text[0] = 0;
    return self;
}

void
sw_json_destroy (sw_json_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sw_json_t *self = *self_p;
    free (self->text);
    free (self->kinds);
    free (self->nonempty);
    free (self);
    *self_p = NULL;
}

void
sw_json_reset (sw_json_t *self)
{
    self->len = 0;
    self->text[0] = 0;
    self->depth = 0;
    self->after_key = false;
    self->values = 0;
}

void
sw_json_obj_begin (sw_json_t *self)
{
    s_open (self, '{');
}

void
sw_json_obj_end (sw_json_t *self)
{
    s_close (self, '{');
}

void
sw_json_arr_begin (sw_json_t *self)
{
    s_open (self, '[');
}

void
sw_json_arr_end (sw_json_t *self)
{
    s_close (self, '[');
}

/* Length of the valid UTF-8 sequence at s (2..4), or 0 when the bytes there
   do not form one (overlong forms, surrogates and code points above U+10FFFF
   are invalid). s[0] >= 0x80. */
static size_t
s_utf8_seq (const unsigned char *s)
{
    unsigned char c = s[0];
    if (c >= 0xC2 && c <= 0xDF)
        return (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        unsigned char lo = 0x80, hi = 0xBF;
        if (c == 0xE0)
            lo = 0xA0;          /* overlong */
        if (c == 0xED)
            hi = 0x9F;          /* UTF-16 surrogates */
        if (s[1] < lo || s[1] > hi)
            return 0;
        return (s[2] & 0xC0) == 0x80 ? 3 : 0;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        unsigned char lo = 0x80, hi = 0xBF;
        if (c == 0xF0)
            lo = 0x90;          /* overlong */
        if (c == 0xF4)
            hi = 0x8F;          /* above U+10FFFF */
        if (s[1] < lo || s[1] > hi)
            return 0;
        if ((s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        return 4;
    }
    return 0;
}

static void
s_string (sw_json_t *self, const char *value)
{
    const unsigned char *s = (const unsigned char *) value;
    s_putc (self, '"');
    while (*s) {
        /* copy the run of bytes that need no escaping in one go */
        const unsigned char *run = s;
        while (*s >= 0x20 && *s < 0x80 && *s != '"' && *s != '\\')
            s++;
        if (s > run)
            s_put (self, (const char *) run, (size_t) (s - run));
        if (!*s)
            break;
        unsigned char c = *s;
        if (c >= 0x80) {
            /* the NUL terminator stops s_utf8_seq at a truncated sequence,
               since NUL is never a continuation byte */
            size_t n = s_utf8_seq (s);
            if (n) {
                s_put (self, (const char *) s, n);
                s += n;
            }
            else {
                s_put (self, "\xEF\xBF\xBD", 3);
                s++;
            }
            continue;
        }
        switch (c) {
        case '"': s_put (self, "\\\"", 2); break;
        case '\\': s_put (self, "\\\\", 2); break;
        case '\b': s_put (self, "\\b", 2); break;
        case '\f': s_put (self, "\\f", 2); break;
        case '\n': s_put (self, "\\n", 2); break;
        case '\r': s_put (self, "\\r", 2); break;
        case '\t': s_put (self, "\\t", 2); break;
        default: {
            char esc[8];
            snprintf (esc, sizeof esc, "\\u%04x", c);
            s_put (self, esc, 6);
        }
        }
        s++;
    }
    s_putc (self, '"');
}

void
sw_json_key (sw_json_t *self, const char *key)
{
    s_separate (self);
    s_string (self, key ? key : "");
    s_putc (self, ':');
    self->after_key = true;
}

void
sw_json_str (sw_json_t *self, const char *value)
{
    if (!value) {
        sw_json_null (self);
        return;
    }
    s_separate (self);
    s_string (self, value);
}

void
sw_json_int (sw_json_t *self, int64_t value)
{
    char buf[24];
    int n = snprintf (buf, sizeof buf, "%lld", (long long) value);
    s_separate (self);
    s_put (self, buf, (size_t) n);
}

char *
sw_json_num_format (double value, char *buf, size_t size)
{
    if (!isfinite (value)) {
        snprintf (buf, size, "null");
        return buf;
    }
    /* %.2f of a huge number has hundreds of digits and no meaningful
       decimals: use the exponent form there (still a valid JSON number). */
    if (fabs (value) >= 1e15) {
        snprintf (buf, size, "%.15g", value);
        return buf;
    }
    int n = snprintf (buf, size, "%.2f", value);
    if (n < 0 || (size_t) n >= size) {
        snprintf (buf, size, "%.15g", value);
        return buf;
    }
    char *dot = strchr (buf, '.');
    if (dot) {
        char *end = buf + n;
        while (end > dot + 1 && end[-1] == '0')
            end--;
        if (end == dot + 1)
            end = dot;
        *end = 0;
    }
    if (strcmp (buf, "-0") == 0)
        snprintf (buf, size, "0");
    return buf;
}

void
sw_json_num (sw_json_t *self, double value)
{
    if (!isfinite (value)) {
        sw_json_null (self);
        return;
    }
    char buf[40];
    sw_json_num_format (value, buf, sizeof buf);
    s_separate (self);
    s_put (self, buf, strlen (buf));
}

void
sw_json_bool (sw_json_t *self, bool value)
{
    s_separate (self);
    if (value)
        s_put (self, "true", 4);
    else
        s_put (self, "false", 5);
}

void
sw_json_null (sw_json_t *self)
{
    s_separate (self);
    s_put (self, "null", 4);
}

const char *
sw_json_text (const sw_json_t *self)
{
    return self->text;
}

size_t
sw_json_len (const sw_json_t *self)
{
    return self->len;
}

bool
sw_json_complete (const sw_json_t *self)
{
    return self->depth == 0 && !self->after_key && self->values == 1;
}
