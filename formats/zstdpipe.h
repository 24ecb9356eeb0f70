/*
 * A zstd compressor on a thread of its own, writing to a file descriptor.
 *
 * The archive writer hands libarchive's uncompressed tar stream to
 * zpipe_write(), which only copies the bytes into a ring; the thread
 * compresses them and writes the frame to the descriptor, so compression
 * runs on the second core while the caller reads, hashes and indexes the
 * next messages.  This is what `tar --zstd` gets from running zstd as a
 * separate process.  Memory is fixed: the ring, one output buffer and
 * one single-threaded compression context at the given level.
 *
 * Output already written is asked to reach the disk as the run goes
 * (sync_file_range), so the final fsync has little left to do.
 *
 * The calls come from one thread.  An error of the thread (a failed
 * write: ENOSPC, EIO; a zstd error) is kept and returned by the next
 * zpipe_write() and by zpipe_finish(); the bytes after it are discarded.
 */
#ifndef MAILSAVE_ZSTDPIPE_H
#define MAILSAVE_ZSTDPIPE_H

#include <stddef.h>

struct zpipe;

/*
 * Start a compressor writing a zstd frame to fd (borrowed: the caller
 * closes it after zpipe_free()).  Returns NULL with errno set when the
 * context or the thread cannot be made.
 */
struct zpipe *zpipe_start(int fd, int level);
/*
 * Queue len bytes.  Returns 0, or the errno of the thread's failure
 * (EIO for a compression error); *what then names what failed.
 */
int zpipe_write(struct zpipe *z, const void *p, size_t len,
    const char **what);
/* End the frame, write it all and stop the thread.  Returns as above. */
int zpipe_finish(struct zpipe *z, const char **what);
/* Stop the thread if it runs (what was queued is dropped) and free z. */
void zpipe_free(struct zpipe *z);

#endif
