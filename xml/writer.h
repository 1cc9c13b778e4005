/*
 * writer.h — internal to xml/: the one-pass output buffer every encoder
 * writes into.  Errors are sticky (the first one is kept and later writes do
 * nothing), so an encoder is a straight sequence of calls checked once by
 * xw_finish.  The buffer doubles, so building n bytes costs O(n).
 */
#ifndef VS_XML_WRITER_H
#define VS_XML_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xml/s3xml.h"

struct xw {
	char *buf;
	size_t len;
	size_t cap;
	int err; /* 0, -ENOMEM or S3XML_ERR_ENCODING */
};

/* Starts a document: the prolog and a newline. hint: expected size. */
void xw_init(struct xw *w, size_t hint);
/* Hands the document to the caller (malloc'd, NUL-terminated) or returns the
 * sticky error and frees the buffer. */
int xw_finish(struct xw *w, char **body, size_t *body_len);

void xw_raw(struct xw *w, const char *s, size_t n);
void xw_str(struct xw *w, const char *s);
/* s escaped as XML text (see s3xml.h); invalid UTF-8 sets S3XML_ERR_ENCODING.
 */
void xw_text(struct xw *w, const char *s);
/* s URL-encoded as S3 does for encoding-type=url. */
void xw_url(struct xw *w, const char *s);

/* <name> and </name>; root adds xmlns=S3XML_NS. */
void xw_open(struct xw *w, const char *name);
void xw_open_root(struct xw *w, const char *name, bool ns);
void xw_close(struct xw *w, const char *name);

/* <name>value</name>; NULL value writes an empty element. */
void xw_elem(struct xw *w, const char *name, const char *value);
/* Omitted when value is NULL. */
void xw_elem_opt(struct xw *w, const char *name, const char *value);
/* A key-like value: URL-encoded when url, else escaped; NULL is "". */
void xw_elem_key(struct xw *w, const char *name, const char *value, bool url);
void xw_elem_u64(struct xw *w, const char *name, uint64_t v);
void xw_elem_bool(struct xw *w, const char *name, bool v);
void xw_elem_time(struct xw *w, const char *name, int64_t unix_ms);
/* <Owner><ID>..</ID><DisplayName>..</DisplayName></Owner> under name. */
void xw_owner(struct xw *w, const char *name, const struct s3xml_owner *o);

#endif /* VS_XML_WRITER_H */
