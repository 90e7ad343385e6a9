/*
 * libFuzzer target: the vector parser and replayer (tools/json.c, tools/vector.c) on arbitrary
 * text.  Malformed vectors must be rejected with a message, never crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vector.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = malloc(size + 1);
    if (!line) return 0;
    memcpy(line, data, size);
    line[size] = 0;
    struct vec v;
    char err[256];
    static FILE *null_out;
    if (!null_out) null_out = fopen("/dev/null", "w");
    if (vec_load(line, &v, err, sizeof err) == 0) {
        enum emu_status st = vec_run(&v);
        vec_check(&v, st, null_out);
    }
    vec_free(&v);
    free(line);
    return 0;
}
