/*
 * fuzz_sigv4.c — SigV4 verification on arbitrary requests: Authorization
 * header parsing, presigned query parsing and canonicalisation.
 *
 * Input: lines separated by '\n'.  Line 0 is the request target, line 1
 * the Authorization value (empty: none), the rest "name:value" headers.
 * Also canonicalises the target with line 1 as the SignedHeaders list.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"
#include "gateway/sigv4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_LINES_MAX 32

static int fuzz_lookup(void *arg, const char *ak, char *secret)
{
	(void)arg;
	if (ak[0] == 'X')
		return -1;
	strcpy(secret, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	char *buf = malloc(size + 1);
	ASSERT(buf != NULL);
	memcpy(buf, data, size);
	buf[size] = '\0';
	char *lines[FUZZ_LINES_MAX];
	size_t n = 0;
	for (char *p = buf; p && n < FUZZ_LINES_MAX;) {
		lines[n++] = p;
		char *e = strchr(p, '\n');
		if (e)
			*e++ = '\0';
		p = e;
	}
	struct sigv4_header h[FUZZ_LINES_MAX];
	size_t hn = 0;
	if (n > 1 && lines[1][0] != '\0')
		h[hn++] = (struct sigv4_header){"Authorization", lines[1]};
	for (size_t i = 2; i < n; i++) {
		char *c = strchr(lines[i], ':');
		if (c == NULL)
			continue;
		*c = '\0';
		h[hn++] = (struct sigv4_header){lines[i], c + 1};
	}
	struct sigv4_request req = {"PUT", lines[0], h, hn};
	struct sigv4_config cfg = {NULL, NULL, fuzz_lookup, NULL, NULL};
	struct sigv4_auth a;
	int rc = sigv4_verify(&cfg, &req, 1369353600, &a);
	ASSERT(rc <= 0);
	ASSERT(sigv4_s3_code(rc) != NULL && sigv4_strerror(rc) != NULL);
	if (rc == 0)
		ASSERT(strlen(a.seed_signature) == 64);
	char *creq = NULL;
	if (n > 1 && sigv4_canonical_request(&req, lines[1], "UNSIGNED-PAYLOAD",
	                                     true, &creq) == 0) {
		ASSERT(creq != NULL);
		free(creq);
	}
	free(buf);
	return 0;
}
