/* What the emulate CLI's commands share (tools/cli.h). */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void cli_die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "emulate: error: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    exit(2);
}
