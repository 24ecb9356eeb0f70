/*
 * --version: our version and the versions of the libraries we run with,
 * so a bug report says exactly what was linked.
 */
#include "config.h"

#include <stdio.h>

#include <archive.h>
#include <libetpan/libetpan.h>
#include <sqlite3.h>
#include <utf8proc.h>

#include "cmd.h"
#include "hash.h"

void
print_version(void)
{
	printf("mailsave %s\n", MAILSAVE_VERSION);
	printf("libetpan %d.%d\n", libetpan_get_version_major(),
	    libetpan_get_version_minor());
	printf("SQLite %s\n", sqlite3_libversion());
	printf("%s\n", archive_version_details());
	printf("%s\n", hash_library_version());
	printf("utf8proc %s\n", utf8proc_version());
}
