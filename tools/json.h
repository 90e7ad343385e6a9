/*
 * A small JSON reader for the vector files: a tree of values with the source text of numbers
 * kept, so that 64-bit values written as integers are not rounded through double.
 */
#ifndef EMU_TOOLS_JSON_H
#define EMU_TOOLS_JSON_H

#include <stddef.h>
#include <stdint.h>

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
    enum json_type type;
    int boolean;
    char *str;              /* string value, or the number's text */
    size_t n;               /* array/object length */
    struct json *items;     /* array items / object values */
    char **keys;            /* object keys */
};

/* Parse one JSON text; NULL with a message in err on failure. */
struct json *json_parse(const char *text, char *err, size_t errlen);
void json_free(struct json *j);
const struct json *json_get(const struct json *obj, const char *key);

/* A number (integer) or a "0x..." / decimal string as uint64.  Returns 0 on success. */
int json_u64(const struct json *j, uint64_t *out);

/* Write s as a JSON string (quotes, escapes) to f: the writers of vectors and CLI output. */
#include <stdio.h>
void json_write_str(FILE *f, const char *s);

#endif
