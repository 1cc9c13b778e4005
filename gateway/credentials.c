/*
 * credentials.c — generate, store and load the server's key pair.
 */
#include "gateway/credentials.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/assert.h"
#include "gateway/fs_util.h"

#define CRED_FILE "credentials"

/*
 * Fills out[0..len) with characters of alphabet chosen uniformly: bytes at
 * or above the largest multiple of the alphabet size are redrawn, so there
 * is no modulo bias.
 */
static int random_string(char *out, size_t len, const char *alphabet)
{
	size_t n = strlen(alphabet);
	unsigned limit = 256 - (256 % (unsigned)n);
	size_t i = 0;
	while (i < len) {
		unsigned char buf[64];
		ssize_t got = getrandom(buf, sizeof buf, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (ssize_t j = 0; j < got && i < len; j++)
			if (buf[j] < limit)
				out[i++] = alphabet[buf[j] % n];
	}
	out[len] = '\0';
	return 0;
}

static int write_durably(const char *dir, const char *path, const char *text)
{
	char tmp[4096 + 8];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	size_t len = strlen(text), off = 0;
	int rc = 0;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = -errno;
			break;
		}
		off += (size_t)w;
	}
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	close(fd);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0) {
		unlink(tmp);
		return rc;
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		if (fsync(dfd) != 0)
			rc = -errno;
		close(dfd);
	}
	return rc;
}

static int parse_line(const char *line, const char *name, char **out)
{
	size_t n = strlen(name);
	if (strncmp(line, name, n) != 0)
		return 0;
	const char *v = line + n;
	while (*v == ' ' || *v == '=')
		v++;
	size_t len = strcspn(v, "\r\n");
	if (len == 0 || len > 128)
		return -EINVAL;
	free(*out);
	*out = strndup(v, len);
	return *out ? 0 : -ENOMEM;
}

static int load(const char *path, char **ak, char **sk)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -errno;
	char line[512], *a = NULL, *s = NULL;
	int rc = 0;
	while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
		rc = parse_line(line, "access_key", &a);
		if (rc == 0)
			rc = parse_line(line, "secret_key", &s);
	}
	fclose(f);
	if (rc == 0 && (a == NULL || s == NULL))
		rc = -EINVAL;
	if (rc != 0) {
		free(a);
		free(s);
		return rc;
	}
	*ak = a;
	*sk = s;
	return 0;
}

int gw_credentials_load_or_create(const char *data_dir, char **access_key,
				  char **secret_key, bool *created)
{
	char path[4096];
	if ((size_t)snprintf(path, sizeof path, "%s/%s", data_dir, CRED_FILE) >= sizeof path)
		return -ENAMETOOLONG;
	int rc = load(path, access_key, secret_key);
	if (rc != -ENOENT) {
		if (rc == 0)
			*created = false;
		return rc;
	}
	rc = gw_mkdir_p(data_dir);
	if (rc != 0)
		return rc;
	char ak[GW_ACCESS_KEY_LEN + 1], sk[GW_SECRET_KEY_LEN + 1];
	/* AWS-shaped: upper-case alphanumerics for the id, base64-ish secret. */
	rc = random_string(ak, GW_ACCESS_KEY_LEN, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
	if (rc == 0)
		rc = random_string(sk, GW_SECRET_KEY_LEN,
				   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
	if (rc != 0)
		return rc;
	memcpy(ak, "VS", 2); /* recognisably ours in logs and configs */
	char text[256];
	snprintf(text, sizeof text,
		 "# VeriStore credentials, generated on first start. Keep private.\n"
		 "access_key = %s\nsecret_key = %s\n", ak, sk);
	rc = write_durably(data_dir, path, text);
	explicit_bzero(text, sizeof text);
	if (rc != 0)
		return rc;
	*access_key = strdup(ak);
	*secret_key = strdup(sk);
	explicit_bzero(sk, sizeof sk);
	if (*access_key == NULL || *secret_key == NULL) {
		free(*access_key);
		free(*secret_key);
		return -ENOMEM;
	}
	*created = true;
	return 0;
}
