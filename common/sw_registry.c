/*  sw_registry: YAML -> Sitewatch__V1__Registry with every refusal of SPEC
    section 2. libyaml's document API gives each node its line; the walk
    follows the fixed schema, so hostile nesting or node types cost nothing. */

#include "sw_registry.h"
#include "sw_calendar.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define S_MAX_ENTRIES 1000000       /* projects, leaders, commissioners, dates */
#define S_MAX_STRING 1024
#define S_MAX_ID 64
#define S_MAX_LISTED 1000           /* problems (and warnings) listed */
#define S_MAX_DEPTH 64              /* nesting of lists and mappings */
#define S_DEFAULT_TZ "Asia/Shanghai"
#define S_DEFAULT_PERIOD_DAYS 3
#define S_FOLLOW_MIN 5
#define S_FOLLOW_MAX 7

/* ------------------------------------------------------------ strlist */

void
sw_strlist_add (sw_strlist_t *list, const char *fmt, ...)
{
    if (!list || !fmt)
        abort ();           /* a programming error, as with assert */
    va_list ap;
    va_start (ap, fmt);
    int n = vsnprintf (NULL, 0, fmt, ap);
    va_end (ap);
    if (n < 0)
        abort ();
    char *s = malloc ((size_t) n + 1);
    if (!s)
        abort ();
    va_start (ap, fmt);
    vsnprintf (s, (size_t) n + 1, fmt, ap);
    va_end (ap);
    /* capacity is the next power of two: grow when count is 0 or one */
    size_t count = list->count;
    if ((count & (count - 1)) == 0) {
        char **items = realloc (list->items, (count ? 2 * count : 1) * sizeof (char *));
        if (!items)
            abort ();
        list->items = items;
    }
    list->items[list->count++] = s;
}

void
sw_strlist_clear (sw_strlist_t *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        free (list->items[i]);
    free (list->items);
    list->items = NULL;
    list->count = 0;
}

/* ------------------------------------------------------------ messages */

typedef struct {
    size_t line;
    size_t seq;
    char *text;         /* "<path>: <what>", line added when emitted */
} s_msg_t;

typedef struct {
    s_msg_t *msgs;
    size_t count;       /* stored */
    size_t cap;
    size_t total;       /* reported, stored or not */
    size_t first_dropped_line;
} s_msgs_t;

typedef struct {
    yaml_document_t *doc;
    s_msgs_t errors;
    s_msgs_t warnings;
} s_ctx_t;

static void *
s_xmalloc (size_t size)
{
    void *p = malloc (size ? size : 1);
    if (!p)
        abort ();
    return p;
}

static void *
s_xcalloc (size_t n, size_t size)
{
    void *p = calloc (n ? n : 1, size ? size : 1);
    if (!p)
        abort ();
    return p;
}

static char *
s_xstrndup (const char *s, size_t n)
{
    char *p = s_xmalloc (n + 1);
    memcpy (p, s, n);
    p[n] = '\0';
    return p;
}

static void
s_msgs_vadd (s_msgs_t *msgs, size_t line, const char *fmt, va_list ap)
{
    msgs->total++;
    if (msgs->count == S_MAX_LISTED) {
        if (msgs->total == S_MAX_LISTED + 1 || line < msgs->first_dropped_line)
            msgs->first_dropped_line = line;
        return;
    }
    if (msgs->count == msgs->cap) {
        msgs->cap = msgs->cap ? 2 * msgs->cap : 16;
        msgs->msgs = realloc (msgs->msgs, msgs->cap * sizeof (s_msg_t));
        if (!msgs->msgs)
            abort ();
    }
    if (!fmt)
        abort ();
    va_list copy;
    va_copy (copy, ap);
    int n = vsnprintf (NULL, 0, fmt, copy);
    va_end (copy);
    if (n < 0)
        abort ();
    char *text = s_xmalloc ((size_t) n + 1);
    vsnprintf (text, (size_t) n + 1, fmt, ap);
    msgs->msgs[msgs->count] = (s_msg_t) {line, msgs->total, text};
    msgs->count++;
}

static void s_error (s_ctx_t *ctx, size_t line, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
static void
s_error (s_ctx_t *ctx, size_t line, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    s_msgs_vadd (&ctx->errors, line, fmt, ap);
    va_end (ap);
}

static void s_warning (s_ctx_t *ctx, size_t line, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
static void
s_warning (s_ctx_t *ctx, size_t line, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    s_msgs_vadd (&ctx->warnings, line, fmt, ap);
    va_end (ap);
}

static int
s_msg_cmp (const void *a, const void *b)
{
    const s_msg_t *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Moves the messages, in line order, into list (or drops them). */
static void
s_msgs_emit (s_msgs_t *msgs, sw_strlist_t *list)
{
    if (msgs->count)
        qsort (msgs->msgs, msgs->count, sizeof (s_msg_t), s_msg_cmp);
    for (size_t i = 0; i < msgs->count; i++) {
        if (list)
            sw_strlist_add (list, "line %zu: %s", msgs->msgs[i].line, msgs->msgs[i].text);
        free (msgs->msgs[i].text);
    }
    if (list && msgs->total > msgs->count)
        sw_strlist_add (list, "line %zu: registry: %zu more problems not listed",
                        msgs->first_dropped_line, msgs->total - msgs->count);
    free (msgs->msgs);
    memset (msgs, 0, sizeof (*msgs));
}

/* ------------------------------------------------------------ scalars */

static size_t
s_line (const yaml_node_t *node)
{
    return node->start_mark.line + 1;
}

static const char *
s_type_name (const yaml_node_t *node)
{
    switch (node->type) {
        case YAML_MAPPING_NODE:
            return "a mapping";
        case YAML_SEQUENCE_NODE:
            return "a list";
        case YAML_SCALAR_NODE:
            return "a single value";
        default:
            return "nothing";
    }
}

static bool
s_is_null (const yaml_node_t *node)
{
    if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *v = (const char *) node->data.scalar.value;
    size_t n = node->data.scalar.length;
    return n == 0 || (n == 1 && v[0] == '~') || (n == 4 && (!memcmp (v, "null", 4) || !memcmp (v, "Null", 4) || !memcmp (v, "NULL", 4)));
}

static bool
s_utf8_valid (const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t extra;
        uint32_t cp, min;
        if (c < 0x80) {
            i++;
            continue;
        }
        else if ((c & 0xE0) == 0xC0)
            extra = 1, cp = c & 0x1F, min = 0x80;
        else if ((c & 0xF0) == 0xE0)
            extra = 2, cp = c & 0x0F, min = 0x800;
        else if ((c & 0xF8) == 0xF0)
            extra = 3, cp = c & 0x07, min = 0x10000;
        else
            return false;
        if (n - i <= extra)
            return false;
        for (size_t k = 1; k <= extra; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += extra + 1;
    }
    return true;
}

/* True when text is short, valid UTF-8 without control characters: safe to
   quote back in a message. */
static bool
s_quotable (const char *text, size_t n)
{
    if (n > S_MAX_ID || !s_utf8_valid ((const unsigned char *) text, n))
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char) text[i] < 0x20 || text[i] == 0x7F)
            return false;
    return true;
}

static const char *
s_scalar (const yaml_node_t *node)
{
    return (const char *) node->data.scalar.value;
}

/* ------------------------------------------------------------ fields */

typedef struct {
    const char *name;
    yaml_node_t *value;
    size_t key_line;
} s_field_t;

/* snprintf for field paths; a path cut short only shortens a message. */
static void s_pathf (char *buf, size_t size, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));
static void
s_pathf (char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (buf, size, fmt, ap);
    va_end (ap);
}

/* "parent.name", or "name" at the top. */
static void
s_path (char *buf, size_t size, const char *parent, const char *name)
{
    if (parent[0])
        s_pathf (buf, size, "%s.%s", parent, name);
    else
        s_pathf (buf, size, "%s", name);
}

/* Fills fields[i].value from the mapping; duplicate keys are errors,
   unknown ones warnings. */
static void
s_fields_collect (s_ctx_t *ctx, yaml_node_t *map, const char *path, s_field_t *fields, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fields[i].value = NULL;
    for (yaml_node_pair_t *pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
        yaml_node_t *key = yaml_document_get_node (ctx->doc, pair->key);
        yaml_node_t *value = yaml_document_get_node (ctx->doc, pair->value);
        if (!key || !value)
            continue;
        if (key->type != YAML_SCALAR_NODE) {
            s_error (ctx, s_line (key), "%s: field names must be plain words, not %s",
                     path[0] ? path : "registry", s_type_name (key));
            continue;
        }
        const char *k = s_scalar (key);
        size_t klen = key->data.scalar.length;
        size_t i;
        for (i = 0; i < n; i++)
            if (strlen (fields[i].name) == klen && memcmp (fields[i].name, k, klen) == 0)
                break;
        char where[512];
        if (i == n) {
            if (s_quotable (k, klen)) {
                s_path (where, sizeof (where), path, k);
                s_warning (ctx, s_line (key), "%s: unknown field, ignored", where);
            }
            else
                s_warning (ctx, s_line (key), "%s: unknown field, ignored", path[0] ? path : "registry");
            continue;
        }
        s_path (where, sizeof (where), path, fields[i].name);
        if (fields[i].value) {
            s_error (ctx, s_line (key), "%s: duplicate field (first at line %zu)", where, fields[i].key_line);
            continue;
        }
        fields[i].value = value;
        fields[i].key_line = s_line (key);
    }
}

/* A string field. Absent or null: an error when required, else "". Returns
   a malloc'd string, or NULL after reporting. */
static char *
s_get_string (s_ctx_t *ctx, const yaml_node_t *owner, yaml_node_t *node, const char *path,
              bool required)
{
    if (!node || s_is_null (node)) {
        if (!required)
            return s_xstrndup ("", 0);
        if (node)
            s_error (ctx, s_line (node), "%s: must not be empty", path);
        else
            s_error (ctx, s_line (owner), "%s: is required", path);
        return NULL;
    }
    if (node->type != YAML_SCALAR_NODE) {
        s_error (ctx, s_line (node), "%s: must be a single value, not %s", path, s_type_name (node));
        return NULL;
    }
    const char *v = s_scalar (node);
    size_t n = node->data.scalar.length;
    if (n > S_MAX_STRING) {
        s_error (ctx, s_line (node), "%s: is longer than %d bytes", path, S_MAX_STRING);
        return NULL;
    }
    if (memchr (v, '\0', n)) {
        s_error (ctx, s_line (node), "%s: contains a NUL character", path);
        return NULL;
    }
    if (!s_utf8_valid ((const unsigned char *) v, n)) {
        s_error (ctx, s_line (node), "%s: is not valid UTF-8", path);
        return NULL;
    }
    if (n == 0 && required) {
        s_error (ctx, s_line (node), "%s: must not be empty", path);
        return NULL;
    }
    return s_xstrndup (v, n);
}

static bool
s_id_valid (const char *id)
{
    size_t n = strlen (id);
    if (n < 1 || n > S_MAX_ID)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.'
              || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* A required id (own or a reference): 1..64 of [A-Za-z0-9._-]. */
static char *
s_get_id (s_ctx_t *ctx, const yaml_node_t *owner, yaml_node_t *node, const char *path)
{
    char *id = s_get_string (ctx, owner, node, path, true);
    if (id && !s_id_valid (id)) {
        s_error (ctx, s_line (node), "%s: must be 1 to %d characters of A-Z a-z 0-9 . _ -", path, S_MAX_ID);
        free (id);
        id = NULL;
    }
    return id;
}

/* A required local date. Returns 0, or -1 after reporting. */
static int
s_get_date (s_ctx_t *ctx, const yaml_node_t *owner, yaml_node_t *node, const char *path, int32_t *day)
{
    if (!node || s_is_null (node)) {
        s_error (ctx, node ? s_line (node) : s_line (owner), "%s: is required", path);
        return -1;
    }
    if (node->type != YAML_SCALAR_NODE) {
        s_error (ctx, s_line (node), "%s: must be a date YYYY-MM-DD, not %s", path, s_type_name (node));
        return -1;
    }
    const char *v = s_scalar (node);
    size_t n = node->data.scalar.length;
    if (n != 10 || memchr (v, '\0', n) || sw_date_parse (v, day) != 0) {
        if (s_quotable (v, n))
            s_error (ctx, s_line (node), "%s: '%s' is not a valid date YYYY-MM-DD", path, v);
        else
            s_error (ctx, s_line (node), "%s: is not a valid date YYYY-MM-DD", path);
        return -1;
    }
    return 0;
}

/* An optional whole number in [min, max]; absent or null leaves *value. */
static int
s_get_int (s_ctx_t *ctx, yaml_node_t *node, const char *path, int32_t min, int32_t max, int32_t *value)
{
    if (!node || s_is_null (node))
        return 0;
    bool ok = node->type == YAML_SCALAR_NODE && node->data.scalar.length > 0;
    int64_t v = 0;
    if (ok) {
        const char *s = s_scalar (node);
        for (size_t i = 0; i < node->data.scalar.length && ok; i++) {
            if (s[i] < '0' || s[i] > '9')
                ok = false;
            else if (v <= max)
                v = v * 10 + (s[i] - '0');
        }
    }
    if (!ok || v < min || v > max) {
        s_error (ctx, s_line (node), "%s: must be a whole number from %d to %d", path, (int) min, (int) max);
        return -1;
    }
    *value = (int32_t) v;
    return 0;
}

/* A required percent 0..100 with at most two decimals, as basis points. */
static int
s_get_percent (s_ctx_t *ctx, const yaml_node_t *owner, yaml_node_t *node, const char *path, int32_t *bp)
{
    if (!node || s_is_null (node)) {
        s_error (ctx, node ? s_line (node) : s_line (owner), "%s: is required", path);
        return -1;
    }
    if (node->type != YAML_SCALAR_NODE) {
        s_error (ctx, s_line (node), "%s: must be a number from 0 to 100, not %s", path, s_type_name (node));
        return -1;
    }
    const char *s = s_scalar (node);
    size_t n = node->data.scalar.length, i = 0;
    bool negative = false;
    if (i < n && s[i] == '-') {
        negative = true;
        i++;
    }
    int64_t whole = 0;
    size_t digits = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++)
        if (whole <= 1000)
            whole = whole * 10 + (s[i] - '0');
    int64_t frac = 0;
    size_t decimals = 0;
    bool number = digits > 0;
    if (number && i < n && s[i] == '.') {
        i++;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, decimals++)
            if (decimals < 2)
                frac = frac * 10 + (s[i] - '0');
        if (decimals == 0)
            number = false;
    }
    if (!number || i != n) {
        s_error (ctx, s_line (node), "%s: must be a number from 0 to 100", path);
        return -1;
    }
    if (decimals > 2) {
        s_error (ctx, s_line (node), "%s: must have at most two decimals", path);
        return -1;
    }
    if (decimals == 1)
        frac *= 10;
    int64_t value = whole * 100 + frac;
    if ((negative && value != 0) || value > 10000) {
        s_error (ctx, s_line (node), "%s: must be between 0 and 100", path);
        return -1;
    }
    *bp = (int32_t) value;
    return 0;
}

/* A list node: NULL for absent or null (the caller decides whether that is
   allowed); reports and returns NULL for anything but a list, or a list
   over the entry cap. */
static yaml_node_t *
s_get_list (s_ctx_t *ctx, yaml_node_t *node, const char *path)
{
    if (!node || s_is_null (node))
        return NULL;
    if (node->type != YAML_SEQUENCE_NODE) {
        s_error (ctx, s_line (node), "%s: must be a list, not %s", path, s_type_name (node));
        return NULL;
    }
    size_t n = (size_t) (node->data.sequence.items.top - node->data.sequence.items.start);
    if (n > S_MAX_ENTRIES) {
        s_error (ctx, s_line (node), "%s: has more than %d entries", path, S_MAX_ENTRIES);
        return NULL;
    }
    return node;
}

static size_t
s_list_length (const yaml_node_t *list)
{
    return list ? (size_t) (list->data.sequence.items.top - list->data.sequence.items.start) : 0;
}

static yaml_node_t *
s_list_item (s_ctx_t *ctx, const yaml_node_t *list, size_t i)
{
    return yaml_document_get_node (ctx->doc, list->data.sequence.items.start[i]);
}

/* A list entry that must be a mapping; NULL after reporting otherwise. */
static yaml_node_t *
s_entry_mapping (s_ctx_t *ctx, const yaml_node_t *list, size_t i, const char *path)
{
    yaml_node_t *item = s_list_item (ctx, list, i);
    if (!item)
        return NULL;
    if (item->type != YAML_MAPPING_NODE) {
        s_error (ctx, s_line (item), "%s: must be a mapping, not %s", path, s_type_name (item));
        return NULL;
    }
    return item;
}

static void
s_format_bp (int32_t bp, char *buf, size_t size)
{
    if (bp % 100)
        snprintf (buf, size, "%d.%02d%%", (int) (bp / 100), (int) (bp % 100));
    else
        snprintf (buf, size, "%d%%", (int) (bp / 100));
}

/* ------------------------------------------------------------ ids */

typedef struct {
    const char *id;
    size_t index;
    size_t line;
} s_idref_t;

static int
s_idref_cmp (const void *a, const void *b)
{
    const s_idref_t *x = a, *y = b;
    int c = strcmp (x->id, y->id);
    if (c)
        return c;
    return (x->index > y->index) - (x->index < y->index);
}

static int
s_idref_cmp_id (const void *a, const void *b)
{
    return strcmp (((const s_idref_t *) a)->id, ((const s_idref_t *) b)->id);
}

/* Sorts refs by id and reports every repeat of an id. */
static void
s_ids_check (s_ctx_t *ctx, s_idref_t *refs, size_t n, const char *list)
{
    qsort (refs, n, sizeof (s_idref_t), s_idref_cmp);
    for (size_t i = 1; i < n; i++) {
        size_t first = i - 1;
        while (i < n && strcmp (refs[i].id, refs[first].id) == 0) {
            s_error (ctx, refs[i].line, "%s[%zu].id: duplicate id %s (first at line %zu)", list, refs[i].index,
                     refs[i].id, refs[first].line);
            i++;
        }
    }
}

static const s_idref_t *
s_ids_find (const s_idref_t *refs, size_t n, const char *id)
{
    s_idref_t key = {id, 0, 0};
    return n ? bsearch (&key, refs, n, sizeof (s_idref_t), s_idref_cmp_id) : NULL;
}

/* ------------------------------------------------------------ sections */

static void
s_parse_calendar (s_ctx_t *ctx, yaml_node_t *node, Sitewatch__V1__Registry *reg)
{
    if (!node || s_is_null (node))
        return;
    if (node->type != YAML_MAPPING_NODE) {
        s_error (ctx, s_line (node), "calendar: must be a mapping, not %s", s_type_name (node));
        return;
    }
    s_field_t fields[] = {{"holidays", NULL, 0}, {"workdays", NULL, 0}};
    s_fields_collect (ctx, node, "calendar", fields, 2);
    for (int which = 0; which < 2; which++) {
        char path[64];
        s_pathf (path, sizeof (path), "calendar.%s", fields[which].name);
        yaml_node_t *list = s_get_list (ctx, fields[which].value, path);
        size_t n = s_list_length (list);
        int32_t *days = s_xcalloc (n, sizeof (int32_t));
        size_t filled = 0;
        for (size_t i = 0; i < n; i++) {
            char item[80];
            s_pathf (item, sizeof (item), "%s[%zu]", path, i);
            yaml_node_t *date = s_list_item (ctx, list, i);
            if (date && s_get_date (ctx, list, date, item, &days[filled]) == 0)
                filled++;
        }
        if (which == 0) {
            reg->holidays = days;
            reg->n_holidays = filled;
        }
        else {
            reg->workdays = days;
            reg->n_workdays = filled;
        }
    }
}

static void
s_parse_leaders (s_ctx_t *ctx, yaml_node_t *list, Sitewatch__V1__Registry *reg, s_idref_t *refs, size_t *n_refs)
{
    size_t n = s_list_length (list);
    reg->leaders = s_xcalloc (n, sizeof (Sitewatch__V1__Leader *));
    for (size_t i = 0; i < n; i++) {
        char path[64], fpath[96];
        s_pathf (path, sizeof (path), "leaders[%zu]", i);
        yaml_node_t *map = s_entry_mapping (ctx, list, i, path);
        if (!map)
            continue;
        s_field_t f[] = {{"id", NULL, 0}, {"name", NULL, 0}, {"area", NULL, 0}};
        s_fields_collect (ctx, map, path, f, 3);
        Sitewatch__V1__Leader *leader = s_xmalloc (sizeof (*leader));
        *leader = (Sitewatch__V1__Leader) SITEWATCH__V1__LEADER__INIT;
        reg->leaders[reg->n_leaders++] = leader;
        char *s;
        s_pathf (fpath, sizeof (fpath), "%s.id", path);
        if ((s = s_get_id (ctx, map, f[0].value, fpath))) {
            leader->id = s;
            refs[(*n_refs)++] = (s_idref_t) {s, i, s_line (f[0].value)};
        }
        s_pathf (fpath, sizeof (fpath), "%s.name", path);
        if ((s = s_get_string (ctx, map, f[1].value, fpath, true)))
            leader->name = s;
        s_pathf (fpath, sizeof (fpath), "%s.area", path);
        if ((s = s_get_string (ctx, map, f[2].value, fpath, false)))
            leader->area = s;
    }
}

static void
s_parse_commissioners (s_ctx_t *ctx, yaml_node_t *list, Sitewatch__V1__Registry *reg, s_idref_t *refs,
                       size_t *n_refs, size_t *lines)
{
    size_t n = s_list_length (list);
    reg->commissioners = s_xcalloc (n, sizeof (Sitewatch__V1__Commissioner *));
    for (size_t i = 0; i < n; i++) {
        char path[64], fpath[96];
        s_pathf (path, sizeof (path), "commissioners[%zu]", i);
        yaml_node_t *map = s_entry_mapping (ctx, list, i, path);
        if (!map)
            continue;
        s_field_t f[] = {{"id", NULL, 0}, {"name", NULL, 0}};
        s_fields_collect (ctx, map, path, f, 2);
        Sitewatch__V1__Commissioner *c = s_xmalloc (sizeof (*c));
        *c = (Sitewatch__V1__Commissioner) SITEWATCH__V1__COMMISSIONER__INIT;
        lines[i] = s_line (map);
        reg->commissioners[reg->n_commissioners++] = c;
        char *s;
        s_pathf (fpath, sizeof (fpath), "%s.id", path);
        if ((s = s_get_id (ctx, map, f[0].value, fpath))) {
            c->id = s;
            refs[(*n_refs)++] = (s_idref_t) {s, i, s_line (f[0].value)};
        }
        s_pathf (fpath, sizeof (fpath), "%s.name", path);
        if ((s = s_get_string (ctx, map, f[1].value, fpath, true)))
            c->name = s;
    }
}

static void
s_parse_milestones (s_ctx_t *ctx, yaml_node_t *node, const char *ppath, Sitewatch__V1__ProjectDef *p,
                    bool dates_ok, char start_s[11], char end_s[11])
{
    char path[96];
    s_pathf (path, sizeof (path), "%s.milestones", ppath);
    yaml_node_t *list = s_get_list (ctx, node, path);
    size_t n = s_list_length (list);
    if (n == 0)
        return;
    p->milestones = s_xcalloc (n, sizeof (Sitewatch__V1__Milestone *));
    bool have_prev = false;
    int32_t prev_day = 0, prev_bp = 0;
    for (size_t i = 0; i < n; i++) {
        char mpath[128], fpath[160];
        s_pathf (mpath, sizeof (mpath), "%s[%zu]", path, i);
        yaml_node_t *map = s_entry_mapping (ctx, list, i, mpath);
        if (!map)
            continue;
        s_field_t f[] = {{"date", NULL, 0}, {"percent", NULL, 0}};
        s_fields_collect (ctx, map, mpath, f, 2);
        Sitewatch__V1__Milestone *m = s_xmalloc (sizeof (*m));
        *m = (Sitewatch__V1__Milestone) SITEWATCH__V1__MILESTONE__INIT;
        p->milestones[p->n_milestones++] = m;
        s_pathf (fpath, sizeof (fpath), "%s.date", mpath);
        bool date_ok = s_get_date (ctx, map, f[0].value, fpath, &m->day) == 0;
        if (date_ok && dates_ok && (m->day <= p->start_day || m->day >= p->end_day)) {
            s_error (ctx, s_line (f[0].value), "%s: must lie strictly between start %s and end %s", fpath,
                     start_s, end_s);
            date_ok = false;
        }
        else if (date_ok && have_prev && m->day <= prev_day) {
            char prev_s[11];
            sw_date_format (prev_day, prev_s);
            s_error (ctx, s_line (f[0].value), "%s: must be after the previous milestone's date %s", fpath,
                     prev_s);
        }
        s_pathf (fpath, sizeof (fpath), "%s.percent", mpath);
        bool bp_ok = s_get_percent (ctx, map, f[1].value, fpath, &m->percent_bp) == 0;
        if (bp_ok && have_prev && m->percent_bp < prev_bp) {
            char prev_s[16];
            s_format_bp (prev_bp, prev_s, sizeof (prev_s));
            s_error (ctx, s_line (f[1].value), "%s: must not be below the previous milestone's %s", fpath,
                     prev_s);
        }
        /* compare the next milestone with the last one that made sense */
        if (date_ok && bp_ok) {
            have_prev = true;
            prev_day = m->day;
            prev_bp = m->percent_bp;
        }
    }
}

static void
s_parse_project (s_ctx_t *ctx, yaml_node_t *map, const char *path, Sitewatch__V1__ProjectDef *p,
                 yaml_node_t **commissioner_node, yaml_node_t **leader_node, yaml_node_t **id_node)
{
    enum { F_ID, F_NAME, F_KIND, F_STATE, F_COMMISSIONER, F_UNIT, F_LOCAL, F_LEADER, F_START, F_END, F_MILESTONES, F_N };
    s_field_t f[F_N] = {
        {"id", NULL, 0},     {"name", NULL, 0},  {"kind", NULL, 0},          {"state", NULL, 0},
        {"commissioner", NULL, 0}, {"unit", NULL, 0}, {"local_contact", NULL, 0}, {"leader", NULL, 0},
        {"start", NULL, 0},  {"end", NULL, 0},   {"milestones", NULL, 0},
    };
    s_fields_collect (ctx, map, path, f, F_N);
    char fpath[128];
    char *s;
#define S_FIELD_PATH(i) (s_pathf (fpath, sizeof (fpath), "%s.%s", path, f[i].name), fpath)

    if ((s = s_get_id (ctx, map, f[F_ID].value, S_FIELD_PATH (F_ID)))) {
        p->id = s;
        *id_node = f[F_ID].value;
    }
    if ((s = s_get_string (ctx, map, f[F_NAME].value, S_FIELD_PATH (F_NAME), true)))
        p->name = s;
    if ((s = s_get_string (ctx, map, f[F_KIND].value, S_FIELD_PATH (F_KIND), true))) {
        if (strcmp (s, "social") && strcmp (s, "government")) {
            s_error (ctx, s_line (f[F_KIND].value), "%s: must be social or government", fpath);
            free (s);
        }
        else
            p->kind = s;
    }
    if ((s = s_get_string (ctx, map, f[F_STATE].value, S_FIELD_PATH (F_STATE), true))) {
        if (strcmp (s, "started") && strcmp (s, "planned")) {
            s_error (ctx, s_line (f[F_STATE].value), "%s: must be started or planned", fpath);
            free (s);
        }
        else
            p->state = s;
    }
    if ((s = s_get_id (ctx, map, f[F_COMMISSIONER].value, S_FIELD_PATH (F_COMMISSIONER)))) {
        p->commissioner = s;
        *commissioner_node = f[F_COMMISSIONER].value;
    }
    if ((s = s_get_string (ctx, map, f[F_UNIT].value, S_FIELD_PATH (F_UNIT), false)))
        p->unit = s;
    if ((s = s_get_string (ctx, map, f[F_LOCAL].value, S_FIELD_PATH (F_LOCAL), false)))
        p->local_contact = s;
    if ((s = s_get_id (ctx, map, f[F_LEADER].value, S_FIELD_PATH (F_LEADER)))) {
        p->leader = s;
        *leader_node = f[F_LEADER].value;
    }
    bool start_ok = s_get_date (ctx, map, f[F_START].value, S_FIELD_PATH (F_START), &p->start_day) == 0;
    bool end_ok = s_get_date (ctx, map, f[F_END].value, S_FIELD_PATH (F_END), &p->end_day) == 0;
    char start_s[11], end_s[11];
    sw_date_format (p->start_day, start_s);
    sw_date_format (p->end_day, end_s);
    if (start_ok && end_ok && p->end_day <= p->start_day) {
        s_error (ctx, s_line (f[F_END].value), "%s: must be after start %s", S_FIELD_PATH (F_END), start_s);
        end_ok = false;
    }
    s_parse_milestones (ctx, f[F_MILESTONES].value, path, p, start_ok && end_ok, start_s, end_s);
#undef S_FIELD_PATH
}

/* ------------------------------------------------------------ document */

/* libyaml resolves aliases into shared nodes; refusing every node with more
   than one parent (or a parent for the root) keeps the walk a tree walk, so
   "billion laughs" and self-referencing documents cost nothing. */
static int
s_aliases_check (s_ctx_t *ctx)
{
    yaml_document_t *doc = ctx->doc;
    size_t n = (size_t) (doc->nodes.top - doc->nodes.start);
    unsigned char *refs = s_xcalloc (n, 1);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        yaml_node_t *node = doc->nodes.start + i;
        int children[2];
        size_t count = 0;
        yaml_node_item_t *item = NULL;
        yaml_node_pair_t *pair = NULL;
        if (node->type == YAML_SEQUENCE_NODE)
            item = node->data.sequence.items.start;
        else if (node->type == YAML_MAPPING_NODE)
            pair = node->data.mapping.pairs.start;
        while (rc == 0) {
            if (item && item < node->data.sequence.items.top) {
                children[0] = *item++;
                count = 1;
            }
            else if (pair && pair < node->data.mapping.pairs.top) {
                children[0] = pair->key;
                children[1] = pair->value;
                pair++;
                count = 2;
            }
            else
                break;
            for (size_t k = 0; k < count; k++) {
                int index = children[k];
                if (index < 1 || (size_t) index > n)
                    continue;
                if (index == 1 || refs[index - 1]++) {
                    s_error (ctx, s_line (doc->nodes.start + index - 1),
                             "yaml: anchors and aliases are not supported");
                    rc = -1;
                    break;
                }
            }
        }
    }
    free (refs);
    return rc;
}

/* libyaml's scanner re-checks every open flow level per token, so "[[[[..."
   costs time quadratic in the depth. One event pass refuses deep nesting
   before the loader sees it; syntax errors are left for the loader to
   report. The schema itself needs five levels. */
static int
s_depth_check (s_ctx_t *ctx, const char *yaml, size_t len)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize (&parser))
        abort ();
    yaml_parser_set_input_string (&parser, (const unsigned char *) yaml, len);
    int rc = 0;
    size_t depth = 0;
    for (bool more = true; more;) {
        yaml_event_t event;
        if (!yaml_parser_parse (&parser, &event)) {
            if (parser.error == YAML_MEMORY_ERROR)
                abort ();
            break;
        }
        if (event.type == YAML_SEQUENCE_START_EVENT || event.type == YAML_MAPPING_START_EVENT) {
            if (++depth > S_MAX_DEPTH) {
                s_error (ctx, event.start_mark.line + 1, "yaml: nested deeper than %d levels", S_MAX_DEPTH);
                rc = -1;
                more = false;
            }
        }
        else if (event.type == YAML_SEQUENCE_END_EVENT || event.type == YAML_MAPPING_END_EVENT)
            depth--;
        else if (event.type == YAML_STREAM_END_EVENT)
            more = false;
        yaml_event_delete (&event);
    }
    yaml_parser_delete (&parser);
    return rc;
}

/* Line of a byte offset, for reader errors that carry no mark. */
static size_t
s_offset_line (const char *yaml, size_t len, size_t offset)
{
    size_t line = 1;
    for (size_t i = 0; i < offset && i < len; i++)
        if (yaml[i] == '\n')
            line++;
    return line;
}

static void
s_yaml_error (s_ctx_t *ctx, yaml_parser_t *parser, const char *yaml, size_t len)
{
    const char *problem = parser->problem ? parser->problem : "cannot be parsed";
    if (parser->error == YAML_MEMORY_ERROR)
        abort ();
    if (parser->error == YAML_READER_ERROR)
        s_error (ctx, s_offset_line (yaml, len, parser->problem_offset), "yaml: %s", problem);
    else if (parser->context)
        s_error (ctx, parser->problem_mark.line + 1, "yaml: %s (%s at line %zu)", problem, parser->context,
                 parser->context_mark.line + 1);
    else
        s_error (ctx, parser->problem_mark.line + 1, "yaml: %s", problem);
}

static void
s_parse_root (s_ctx_t *ctx, yaml_node_t *root, Sitewatch__V1__Registry *reg)
{
    enum { F_ZONE, F_TZ, F_ANCHOR, F_PERIOD, F_CALENDAR, F_LEADERS, F_COMMISSIONERS, F_PROJECTS, F_N };
    s_field_t f[F_N] = {
        {"zone", NULL, 0},     {"timezone", NULL, 0}, {"period_anchor", NULL, 0}, {"period_days", NULL, 0},
        {"calendar", NULL, 0}, {"leaders", NULL, 0},  {"commissioners", NULL, 0}, {"projects", NULL, 0},
    };
    s_fields_collect (ctx, root, "", f, F_N);
    char *s;
    if ((s = s_get_string (ctx, root, f[F_ZONE].value, "zone", false)))
        reg->zone_name = s;
    if (f[F_TZ].value && !s_is_null (f[F_TZ].value))
        s = s_get_string (ctx, root, f[F_TZ].value, "timezone", true);
    else
        s = s_xstrndup (S_DEFAULT_TZ, strlen (S_DEFAULT_TZ));
    if (s) {
        sw_calendar_t *cal = sw_calendar_new (s, 0, 1, NULL, 0, NULL, 0);
        size_t line = s_line (f[F_TZ].value ? f[F_TZ].value : root);
        if (cal)
            reg->timezone = s;
        else {
            if (s_quotable (s, strlen (s)))
                s_error (ctx, line, "timezone: unknown time zone %s", s);
            else
                s_error (ctx, line, "timezone: unknown time zone");
            free (s);
        }
        sw_calendar_destroy (&cal);
    }
    s_get_date (ctx, root, f[F_ANCHOR].value, "period_anchor", &reg->period_anchor_day);
    reg->period_days = S_DEFAULT_PERIOD_DAYS;
    s_get_int (ctx, f[F_PERIOD].value, "period_days", 1, 366, &reg->period_days);
    s_parse_calendar (ctx, f[F_CALENDAR].value, reg);

    /* the three lists are required, but may be empty */
    static const char *const names[3] = {"leaders", "commissioners", "projects"};
    yaml_node_t *lists[3];
    for (int i = 0; i < 3; i++) {
        yaml_node_t *node = f[F_LEADERS + i].value;
        if (!node)
            s_error (ctx, s_line (root), "%s: is required", names[i]);
        lists[i] = s_get_list (ctx, node, names[i]);
    }

    size_t n_leaders = s_list_length (lists[0]), n_comm = s_list_length (lists[1]);
    size_t n_projects = s_list_length (lists[2]);
    s_idref_t *leader_ids = s_xcalloc (n_leaders, sizeof (s_idref_t));
    s_idref_t *comm_ids = s_xcalloc (n_comm, sizeof (s_idref_t));
    s_idref_t *project_ids = s_xcalloc (n_projects, sizeof (s_idref_t));
    size_t *comm_lines = s_xcalloc (n_comm, sizeof (size_t));
    size_t n_leader_ids = 0, n_comm_ids = 0, n_project_ids = 0;

    s_parse_leaders (ctx, lists[0], reg, leader_ids, &n_leader_ids);
    s_parse_commissioners (ctx, lists[1], reg, comm_ids, &n_comm_ids, comm_lines);
    s_ids_check (ctx, leader_ids, n_leader_ids, "leaders");
    s_ids_check (ctx, comm_ids, n_comm_ids, "commissioners");

    size_t *follows = s_xcalloc (n_comm, sizeof (size_t));
    reg->projects = s_xcalloc (n_projects, sizeof (Sitewatch__V1__ProjectDef *));
    for (size_t i = 0; i < n_projects; i++) {
        char path[64];
        s_pathf (path, sizeof (path), "projects[%zu]", i);
        yaml_node_t *map = s_entry_mapping (ctx, lists[2], i, path);
        if (!map)
            continue;
        Sitewatch__V1__ProjectDef *p = s_xmalloc (sizeof (*p));
        *p = (Sitewatch__V1__ProjectDef) SITEWATCH__V1__PROJECT_DEF__INIT;
        reg->projects[reg->n_projects++] = p;
        yaml_node_t *comm_node = NULL, *leader_node = NULL, *id_node = NULL;
        s_parse_project (ctx, map, path, p, &comm_node, &leader_node, &id_node);
        if (id_node)
            project_ids[n_project_ids++] = (s_idref_t) {p->id, i, s_line (id_node)};
        if (comm_node) {
            const s_idref_t *c = s_ids_find (comm_ids, n_comm_ids, p->commissioner);
            if (c)
                follows[c->index]++;
            else
                s_error (ctx, s_line (comm_node), "%s.commissioner: unknown commissioner %s", path,
                         p->commissioner);
        }
        if (leader_node && !s_ids_find (leader_ids, n_leader_ids, p->leader))
            s_error (ctx, s_line (leader_node), "%s.leader: unknown leader %s", path, p->leader);
    }
    s_ids_check (ctx, project_ids, n_project_ids, "projects");

    /* commissioners[] entries that are not mappings were skipped, so walk
       the parsed ones by their original index */
    for (size_t k = 0; k < n_comm_ids; k++) {
        size_t i = comm_ids[k].index;
        if (follows[i] < S_FOLLOW_MIN || follows[i] > S_FOLLOW_MAX)
            s_warning (ctx, comm_lines[i], "commissioners[%zu]: %s follows %zu project%s (expected %d to %d)", i, comm_ids[k].id,
                       follows[i], follows[i] == 1 ? "" : "s", S_FOLLOW_MIN, S_FOLLOW_MAX);
    }
    free (follows);
    free (leader_ids);
    free (comm_ids);
    free (project_ids);
    free (comm_lines);
}

int
sw_registry_parse (const char *yaml, size_t len, Sitewatch__V1__Registry **out, sw_strlist_t *errors,
                   sw_strlist_t *warnings)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    s_ctx_t ctx = {&doc, {0}, {0}};
    Sitewatch__V1__Registry *reg = NULL;
    if (!yaml)
        yaml = "", len = 0;
    *out = NULL;

    if (s_depth_check (&ctx, yaml, len) != 0)
        goto done;
    if (!yaml_parser_initialize (&parser))
        abort ();
    yaml_parser_set_input_string (&parser, (const unsigned char *) yaml, len);
    if (!yaml_parser_load (&parser, &doc)) {
        s_yaml_error (&ctx, &parser, yaml, len);
        yaml_parser_delete (&parser);
        goto done;
    }
    yaml_document_t extra;
    if (!yaml_parser_load (&parser, &extra))
        s_yaml_error (&ctx, &parser, yaml, len);
    else {
        yaml_node_t *second = yaml_document_get_root_node (&extra);
        if (second)
            s_error (&ctx, s_line (second), "yaml: only one document is allowed");
        yaml_document_delete (&extra);
    }
    yaml_parser_delete (&parser);

    yaml_node_t *root = yaml_document_get_root_node (&doc);
    if (!root)
        s_error (&ctx, 1, "registry: the document is empty");
    else if (root->type != YAML_MAPPING_NODE)
        s_error (&ctx, s_line (root), "registry: must be a mapping, not %s", s_type_name (root));
    else if (s_aliases_check (&ctx) == 0) {
        reg = s_xmalloc (sizeof (*reg));
        *reg = (Sitewatch__V1__Registry) SITEWATCH__V1__REGISTRY__INIT;
        s_parse_root (&ctx, root, reg);
    }
    yaml_document_delete (&doc);

done:
    if (ctx.errors.total > 0 && reg) {
        sitewatch__v1__registry__free_unpacked (reg, NULL);
        reg = NULL;
    }
    int rc = ctx.errors.total > 0 ? -1 : 0;
    s_msgs_emit (&ctx.errors, errors);
    s_msgs_emit (&ctx.warnings, warnings);
    *out = reg;
    return rc;
}

/* ------------------------------------------------------------ lookups */

const Sitewatch__V1__ProjectDef *
sw_registry_project (const Sitewatch__V1__Registry *reg, const char *id)
{
    if (!reg || !id)
        return NULL;
    for (size_t i = 0; i < reg->n_projects; i++)
        if (reg->projects[i]->id && strcmp (reg->projects[i]->id, id) == 0)
            return reg->projects[i];
    return NULL;
}

const Sitewatch__V1__Leader *
sw_registry_leader (const Sitewatch__V1__Registry *reg, const char *id)
{
    if (!reg || !id)
        return NULL;
    for (size_t i = 0; i < reg->n_leaders; i++)
        if (reg->leaders[i]->id && strcmp (reg->leaders[i]->id, id) == 0)
            return reg->leaders[i];
    return NULL;
}

const Sitewatch__V1__Commissioner *
sw_registry_commissioner (const Sitewatch__V1__Registry *reg, const char *id)
{
    if (!reg || !id)
        return NULL;
    for (size_t i = 0; i < reg->n_commissioners; i++)
        if (reg->commissioners[i]->id && strcmp (reg->commissioners[i]->id, id) == 0)
            return reg->commissioners[i];
    return NULL;
}

/* ------------------------------------------------------------ calendars */

sw_calendar_t *
sw_registry_calendar (const Sitewatch__V1__Registry *reg)
{
    return sw_calendar_new (reg->timezone, reg->period_anchor_day,
                            reg->period_days > 0 ? reg->period_days : 3, reg->holidays,
                            reg->n_holidays, reg->workdays, reg->n_workdays);
}

void
sw_registry_clock_begin (sw_registry_clock_t *self)
{
    if (self->now != self->committed)
        sw_calendar_destroy (&self->now);
    self->now = self->committed;
}

void
sw_registry_clock_set (sw_registry_clock_t *self, sw_calendar_t **cal_p)
{
    if (self->now != self->committed)
        sw_calendar_destroy (&self->now);
    self->now = *cal_p;
    *cal_p = NULL;
}

void
sw_registry_clock_commit (sw_registry_clock_t *self)
{
    if (self->committed != self->now)
        sw_calendar_destroy (&self->committed);
    self->committed = self->now;
}

void
sw_registry_clock_destroy (sw_registry_clock_t *self)
{
    if (self->now != self->committed)
        sw_calendar_destroy (&self->now);
    sw_calendar_destroy (&self->committed);
    self->now = NULL;
}
