/* fsutil.c: durable, atomic file writes and content hashing.
 *
 * The store promises that an original is never lost and that a reader sees a whole file or none,
 * even if the machine loses power mid-write. That takes the classic sequence: write a temporary
 * file next to the destination (so the rename stays within one file system), fsync it, rename it
 * over the final name, then fsync the folder so the rename itself is on disk.
 */
#include "pipeline/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <glib/gstdio.h>

static int
fail_errno(GError **error, int err, const char *what, const char *path)
{
	g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err), "%s %s: %s", what, path,
		    g_strerror(err));
	return -1;
}

static int
write_all(int fd, const guint8 *data, gsize length)
{
	gsize done = 0;

	while (done < length) {
		/* write() may legally stop short (signals, quotas), so loop until all is out. */
		ssize_t n = write(fd, data + done, MIN(length - done, (gsize)SSIZE_MAX));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		done += (gsize)n;
	}
	return 0;
}

static int
fsync_retry(int fd)
{
	int r;

	do
		r = fsync(fd);
	while (r < 0 && errno == EINTR);
	return r;
}

/* See fsutil.h. If only the final fsync of the folder fails, PATH already holds the new content
 * but may not survive a crash; that is still an error, so the caller does not count on it. */
int
lr_write_file_atomic(const char *path, const void *data, gsize length, GError **error)
{
	g_autofree char *folder = g_path_get_dirname(path);
	g_autofree char *tmp = g_build_filename(folder, ".tmp-XXXXXX", NULL);
	int fd, dirfd, err;

	if (g_mkdir_with_parents(folder, 0755) < 0)
		return fail_errno(error, errno, "creating folder", folder);

	/* Opened before the temp file exists, so that after the rename only fsync can fail. */
	dirfd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return fail_errno(error, errno, "opening folder", folder);

	fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = errno;
		close(dirfd);
		return fail_errno(error, err, "creating temporary file in", folder);
	}

	if (write_all(fd, data, length) < 0 || fsync_retry(fd) < 0) {
		err = errno;
		close(fd);
		goto fail;
	}
	if (close(fd) < 0) {
		err = errno;
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		err = errno;
		goto fail;
	}
	/* Some file systems cannot fsync a folder at all; nothing more can be done there. */
	if (fsync_retry(dirfd) < 0 && errno != EINVAL && errno != ENOTSUP) {
		err = errno;
		close(dirfd);
		return fail_errno(error, err, "syncing folder", folder);
	}
	close(dirfd);
	return 0;

fail:
	g_unlink(tmp);
	close(dirfd);
	return fail_errno(error, err, "writing", path);
}

/* See fsutil.h. */
void
lr_sha256_init(LrSha256 *sum)
{
	sha256_init(sum);
}

void
lr_sha256_update(LrSha256 *sum, const void *data, gsize length)
{
	sha256_update(sum, length, data);
}

char *
lr_sha256_finish(LrSha256 *sum)
{
	guint8 digest[SHA256_DIGEST_SIZE];
	char *hex = g_malloc(2 * SHA256_DIGEST_SIZE + 1);

	sha256_digest(sum, SHA256_DIGEST_SIZE, digest);
	for (int i = 0; i < SHA256_DIGEST_SIZE; i++)
		g_snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	return hex;
}

/* See fsutil.h. */
char *
lr_sha256_hex(const void *data, gsize length)
{
	LrSha256 sum;

	lr_sha256_init(&sum);
	lr_sha256_update(&sum, data, length);
	return lr_sha256_finish(&sum);
}
