/*
 * parse.h — internal to xml/: the hardened libxml2 front end the decoders
 * share, and small helpers to walk the resulting tree.  Only xml/ sees
 * libxml2 types.
 */
#ifndef VS_XML_PARSE_H
#define VS_XML_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

/*
 * Parses body (len bytes) into a tree, refusing: more than body_bytes_max
 * bytes (0: S3XML_BODY_BYTES_MAX), any DOCTYPE, nesting deeper than
 * S3XML_DEPTH_MAX, more than S3XML_ELEMENTS_MAX elements, anything not
 * well-formed, and a root element other than root_name (in no namespace or
 * the S3 one).  On success *doc is the caller's, freed with xmlFreeDoc.
 */
int xp_parse(const void *body, size_t len, size_t body_bytes_max,
             const char *root_name, xmlDocPtr *doc);

/* True when n is an element called name in no namespace or S3's. */
bool xp_is(const xmlNode *n, const char *name);

/*
 * The element's text (its text and CDATA children concatenated; comments and
 * processing instructions skipped), malloc'd for the caller to free().  A
 * child element is S3XML_ERR_MALFORMED; more than max_bytes is
 * S3XML_ERR_LIMIT.  With trim, XML whitespace around the value is dropped.
 */
int xp_text(const xmlNode *n, size_t max_bytes, bool trim, char **out);

/* 0 when the container n holds only elements, whitespace, comments and
 * processing instructions; S3XML_ERR_MALFORMED for any other text. */
int xp_container_check(const xmlNode *n);

#endif /* VS_XML_PARSE_H */
