/* JSON reader (see json.h).  Strict: one value, no trailing garbage, no comments. */
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser {
    const char *p;
    char *err;
    size_t errlen;
    int depth;
};

static void fail(struct parser *ps, const char *msg)
{
    if (ps->err && !ps->err[0]) snprintf(ps->err, ps->errlen, "%s", msg);
}

static void ws(struct parser *ps)
{
    while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r') ps->p++;
}

static int parse_value(struct parser *ps, struct json *out);

static char *parse_string_raw(struct parser *ps)
{
    if (*ps->p != '"') {
        fail(ps, "expected a string");
        return NULL;
    }
    ps->p++;
    size_t cap = 16, n = 0;
    char *s = malloc(cap);
    if (!s) return NULL;
    while (*ps->p && *ps->p != '"') {
        char c = *ps->p++;
        if (c == '\\') {
            char e = *ps->p++;
            switch (e) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case '"': case '\\': case '/': c = e; break;
            case 'u': {
                unsigned v = 0;
                for (int i = 0; i < 4; i++) {
                    char h = *ps->p++;
                    v <<= 4;
                    if (h >= '0' && h <= '9') v |= (unsigned)(h - '0');
                    else if (h >= 'a' && h <= 'f') v |= (unsigned)(h - 'a' + 10);
                    else if (h >= 'A' && h <= 'F') v |= (unsigned)(h - 'A' + 10);
                    else { free(s); fail(ps, "bad \\u escape"); return NULL; }
                }
                c = v < 0x80 ? (char)v : '?';
                break;
            }
            default: free(s); fail(ps, "bad escape"); return NULL;
            }
        } else if ((unsigned char)c < 0x20) {
            free(s);
            fail(ps, "control character in string");
            return NULL;
        }
        if (n + 2 > cap) {
            cap *= 2;
            char *t = realloc(s, cap);
            if (!t) { free(s); return NULL; }
            s = t;
        }
        s[n++] = c;
    }
    if (*ps->p != '"') {
        free(s);
        fail(ps, "unterminated string");
        return NULL;
    }
    ps->p++;
    s[n] = 0;
    return s;
}

static int push_item(struct json *arr, struct json *v, char *key)
{
    struct json *items = realloc(arr->items, (arr->n + 1) * sizeof *items);
    if (!items) return -1;
    arr->items = items;
    if (arr->type == JSON_OBJECT) {
        char **keys = realloc(arr->keys, (arr->n + 1) * sizeof *keys);
        if (!keys) return -1;
        arr->keys = keys;
        arr->keys[arr->n] = key;
    }
    arr->items[arr->n++] = *v;
    return 0;
}

static int parse_value(struct parser *ps, struct json *out)
{
    memset(out, 0, sizeof *out);
    if (++ps->depth > 64) {
        fail(ps, "nesting too deep");
        return -1;
    }
    ws(ps);
    const char c = *ps->p;
    int rc = 0;
    if (c == '{' || c == '[') {
        const int obj = c == '{';
        out->type = obj ? JSON_OBJECT : JSON_ARRAY;
        ps->p++;
        ws(ps);
        if (*ps->p == (obj ? '}' : ']')) {
            ps->p++;
        } else {
            for (;;) {
                char *key = NULL;
                ws(ps);
                if (obj) {
                    key = parse_string_raw(ps);
                    if (!key) { rc = -1; break; }
                    ws(ps);
                    if (*ps->p != ':') { free(key); fail(ps, "expected ':'"); rc = -1; break; }
                    ps->p++;
                }
                struct json v;
                if (parse_value(ps, &v) < 0) { free(key); json_free(&v); rc = -1; break; }
                if (push_item(out, &v, key) < 0) { free(key); rc = -1; break; }
                ws(ps);
                if (*ps->p == ',') { ps->p++; continue; }
                if (*ps->p == (obj ? '}' : ']')) { ps->p++; break; }
                fail(ps, obj ? "expected ',' or '}'" : "expected ',' or ']'");
                rc = -1;
                break;
            }
        }
    } else if (c == '"') {
        out->type = JSON_STRING;
        out->str = parse_string_raw(ps);
        if (!out->str) rc = -1;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        const char *s = ps->p;
        if (*ps->p == '-') ps->p++;
        while ((*ps->p >= '0' && *ps->p <= '9') || *ps->p == '.' || *ps->p == 'e' || *ps->p == 'E' ||
               *ps->p == '+' || *ps->p == '-')
            ps->p++;
        out->type = JSON_NUMBER;
        out->str = strndup(s, (size_t)(ps->p - s));
    } else if (!strncmp(ps->p, "true", 4)) {
        out->type = JSON_BOOL; out->boolean = 1; ps->p += 4;
    } else if (!strncmp(ps->p, "false", 5)) {
        out->type = JSON_BOOL; ps->p += 5;
    } else if (!strncmp(ps->p, "null", 4)) {
        out->type = JSON_NULL; ps->p += 4;
    } else {
        fail(ps, "unexpected character");
        rc = -1;
    }
    ps->depth--;
    return rc;
}

struct json *json_parse(const char *text, char *err, size_t errlen)
{
    struct parser ps = { text, err, errlen, 0 };
    if (err && errlen) err[0] = 0;
    struct json *j = calloc(1, sizeof *j);
    if (!j) return NULL;
    if (parse_value(&ps, j) < 0) {
        json_free(j);
        free(j);
        return NULL;
    }
    ws(&ps);
    if (*ps.p) {
        fail(&ps, "trailing characters after the JSON value");
        json_free(j);
        free(j);
        return NULL;
    }
    return j;
}

void json_free(struct json *j)
{
    if (!j) return;
    free(j->str);
    for (size_t i = 0; i < j->n; i++) {
        json_free(&j->items[i]);
        if (j->keys) free(j->keys[i]);
    }
    free(j->items);
    free(j->keys);
    j->items = NULL;
    j->keys = NULL;
    j->str = NULL;
    j->n = 0;
}

const struct json *json_get(const struct json *obj, const char *key)
{
    if (!obj || obj->type != JSON_OBJECT) return NULL;
    for (size_t i = 0; i < obj->n; i++)
        if (strcmp(obj->keys[i], key) == 0) return &obj->items[i];
    return NULL;
}

int json_u64(const struct json *j, uint64_t *out)
{
    if (!j || (j->type != JSON_NUMBER && j->type != JSON_STRING) || !j->str || !j->str[0]) return -1;
    const char *s = j->str;
    char *end;
    if (s[0] == '-') {
        long long v = strtoll(s, &end, 0);
        if (*end) return -1;
        *out = (uint64_t)v;
        return 0;
    }
    *out = strtoull(s, &end, 0);
    return *end ? -1 : 0;
}

void json_write_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fputc('\\', f);
        if ((unsigned char)*s < 0x20) fprintf(f, "\\u%04x", *s);
        else fputc(*s, f);
    }
    fputc('"', f);
}
