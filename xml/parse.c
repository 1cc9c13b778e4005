/*
 * parse.c — libxml2 configured for hostile input.  Request bodies come from
 * the network, so the parser must neither reach out (XXE: OWASP XML External
 * Entity Prevention) nor blow up (billion laughs).  S3 request documents
 * never need a DTD, so the first DOCTYPE stops the parser from the SAX
 * internalSubset callback, before any entity declaration is read; with no
 * DTD only the five predefined entities and character references exist.
 * Depth and element counts are checked in the startElement callback, so a
 * hostile document fails as soon as it crosses a limit, never after.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/SAX2.h>

#include "engine/assert.h"
#include "xml/parse.h"
#include "xml/s3xml.h"

static pthread_once_t xp_once = PTHREAD_ONCE_INIT;

static void xp_init_once(void)
{
	xmlInitParser();
}

void s3xml_init(void)
{
	int rc = pthread_once(&xp_once, xp_init_once);
	ASSERT(rc == 0);
}

void s3xml_cleanup(void)
{
	xmlCleanupParser();
}

struct xp_state {
	int err;
	unsigned depth;
	unsigned elements;
};

static void xp_fail(void *ctx, int err)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct xp_state *st = ctxt->_private;
	if (st->err == 0)
		st->err = err;
	xmlStopParser(ctxt);
}

static void xp_on_doctype(void *ctx, const xmlChar *name,
                          const xmlChar *external_id, const xmlChar *system_id)
{
	xp_fail(ctx, S3XML_ERR_DTD);
}

static xmlParserInputPtr xp_on_resolve(void *ctx, const xmlChar *public_id,
                                       const xmlChar *system_id)
{
	/* Never load anything: unreachable once DOCTYPE is refused, kept
	 * as a second wall. */
	xp_fail(ctx, S3XML_ERR_DTD);
	return NULL;
}

static void xp_on_start(void *ctx, const xmlChar *localname,
                        const xmlChar *prefix, const xmlChar *uri,
                        int nb_namespaces, const xmlChar **namespaces,
                        int nb_attributes, int nb_defaulted,
                        const xmlChar **attributes)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct xp_state *st = ctxt->_private;
	st->depth++;
	st->elements++;
	if (st->depth > S3XML_DEPTH_MAX || st->elements > S3XML_ELEMENTS_MAX) {
		xp_fail(ctx, S3XML_ERR_LIMIT);
		return;
	}
	xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_namespaces,
	                      namespaces, nb_attributes, nb_defaulted,
	                      attributes);
}

static void xp_on_end(void *ctx, const xmlChar *localname,
                      const xmlChar *prefix, const xmlChar *uri)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct xp_state *st = ctxt->_private;
	/* Counted, not asserted: the calls follow the input's tags. */
	if (st->depth > 0)
		st->depth--;
	xmlSAX2EndElementNs(ctx, localname, prefix, uri);
}

static void xp_on_error(void *ctx, xmlErrorPtr error)
{
	/* Quiet: a malformed request is the client's problem, reported to it
	 * as MalformedXML, not printed on the server's stderr. */
}

static void XMLCDECL xp_on_generic_error(void *ctx, const char *msg, ...)
{
}

bool xp_is(const xmlNode *n, const char *name)
{
	if (n == NULL || n->type != XML_ELEMENT_NODE)
		return false;
	if (n->ns != NULL && n->ns->href != NULL &&
	    strcmp((const char *)n->ns->href, S3XML_NS) != 0)
		return false;
	return strcmp((const char *)n->name, name) == 0;
}

static int xp_run(const void *body, size_t len, xmlDocPtr *doc)
{
	xmlSAXHandler sax;
	memset(&sax, 0, sizeof(sax));
	xmlSAXVersion(&sax, 2);
	sax.internalSubset = xp_on_doctype;
	sax.externalSubset = xp_on_doctype;
	sax.resolveEntity = xp_on_resolve;
	sax.startElementNs = xp_on_start;
	sax.endElementNs = xp_on_end;
	sax.serror = xp_on_error;
	sax.warning = NULL;
	sax.error = NULL;
	sax.fatalError = NULL;

	/* Some errors (input encoding conversion) bypass the context and go to
	 * the thread's global handlers; libxml2 keeps those per thread, and
	 * only xml/ uses libxml2, so silencing them here is local to us. */
	xmlSetGenericErrorFunc(NULL, xp_on_generic_error);
	xmlSetStructuredErrorFunc(NULL, xp_on_error);

	struct xp_state st = {0};
	xmlParserCtxtPtr ctxt =
	    xmlCreatePushParserCtxt(&sax, NULL, NULL, 0, NULL);
	if (ctxt == NULL)
		return -ENOMEM;
	ctxt->_private = &st;
	/* No network, no entity substitution (XML_PARSE_NOENT is never set),
	 * no DTD loading, no huge-document relaxation of libxml2's limits. */
	xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR |
	                            XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
	xmlParseChunk(ctxt, body, (int)len, 1);
	int rc = st.err;
	if (rc == 0 && (!ctxt->wellFormed || ctxt->myDoc == NULL))
		rc = S3XML_ERR_MALFORMED;
	if (rc == 0 && ctxt->myDoc->intSubset != NULL)
		rc = S3XML_ERR_DTD;
	if (rc == 0) {
		*doc = ctxt->myDoc;
	} else if (ctxt->myDoc != NULL) {
		xmlFreeDoc(ctxt->myDoc);
	}
	ctxt->myDoc = NULL;
	xmlFreeParserCtxt(ctxt);
	return rc;
}

/* Index of needle in b[from, len), or len when absent. */
static size_t xp_find(const char *b, size_t from, size_t len,
                      const char *needle)
{
	if (from >= len)
		return len;
	const char *p = memmem(b + from, len - from, needle, strlen(needle));
	return p ? (size_t)(p - b) : len;
}

/* Counts the attributes ('=' outside quotes) of the tag opening at b[*i]
 * and moves *i past its '>'. */
static unsigned xp_tag_attrs(const char *b, size_t len, size_t *i)
{
	unsigned attrs = 0;
	char quote = 0;
	size_t k = *i + 1;
	for (; k < len; k++) {
		char c = b[k];
		if (quote != 0) {
			if (c == quote)
				quote = 0;
		} else if (c == '"' || c == '\'') {
			quote = c;
		} else if (c == '=') {
			attrs++;
		} else if (c == '>') {
			break;
		}
	}
	*i = k + 1;
	return attrs;
}

/*
 * A linear lexical pass before libxml2 sees the body.  libxml2 2.9 checks
 * an element's attributes and namespace declarations for duplicates
 * pairwise, so one start tag with 40,000 attributes (400 KB) costs it 35 s;
 * S3 request documents carry at most a namespace declaration or two, so a
 * few attributes per tag and in total are plenty.  The pass also refuses a
 * DOCTYPE (any "<!" that opens neither a comment nor CDATA) before parsing
 * starts.  It follows XML's markup rules (comments, CDATA, processing
 * instructions, quoted attribute values), so it reads a well-formed
 * document exactly; on a malformed one it may stop early, and libxml2 then
 * rejects the document.
 */
static int xp_prescan(const char *b, size_t len)
{
	unsigned total = 0;
	size_t i = 0;
	while (i < len) {
		const char *lt = memchr(b + i, '<', len - i);
		if (lt == NULL)
			break;
		i = (size_t)(lt - b);
		const char *rest = b + i + 1;
		size_t left = len - i - 1;
		if (left >= 3 && memcmp(rest, "!--", 3) == 0) {
			i = xp_find(b, i + 4, len, "-->") + 3;
		} else if (left >= 8 && memcmp(rest, "![CDATA[", 8) == 0) {
			i = xp_find(b, i + 9, len, "]]>") + 3;
		} else if (left >= 1 && rest[0] == '?') {
			i = xp_find(b, i + 2, len, "?>") + 2;
		} else if (left >= 1 && rest[0] == '!') {
			return S3XML_ERR_DTD;
		} else {
			unsigned attrs = xp_tag_attrs(b, len, &i);
			total += attrs;
			if (attrs > S3XML_TAG_ATTRS_MAX ||
			    total > S3XML_ATTRS_MAX)
				return S3XML_ERR_LIMIT;
		}
	}
	return 0;
}

int xp_parse(const void *body, size_t len, size_t body_bytes_max,
             const char *root_name, xmlDocPtr *doc)
{
	ASSERT(body != NULL || len == 0);
	if (body_bytes_max == 0)
		body_bytes_max = S3XML_BODY_BYTES_MAX;
	if (len > body_bytes_max || len > INT_MAX)
		return S3XML_ERR_TOO_LARGE;
	if (len == 0)
		return S3XML_ERR_MALFORMED;
	int rc = xp_prescan(body, len);
	if (rc != 0)
		return rc;
	s3xml_init();
	xmlDocPtr d = NULL;
	rc = xp_run(body, len, &d);
	if (rc != 0)
		return rc;
	xmlNodePtr root = xmlDocGetRootElement(d);
	if (!xp_is(root, root_name)) {
		xmlFreeDoc(d);
		return S3XML_ERR_MALFORMED;
	}
	*doc = d;
	return 0;
}

static bool xp_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int xp_text(const xmlNode *n, size_t max_bytes, bool trim, char **out)
{
	size_t total = 0;
	for (const xmlNode *c = n->children; c != NULL; c = c->next) {
		if (c->type == XML_TEXT_NODE ||
		    c->type == XML_CDATA_SECTION_NODE) {
			total += strlen((const char *)c->content);
		} else if (c->type != XML_COMMENT_NODE &&
		           c->type != XML_PI_NODE) {
			return S3XML_ERR_MALFORMED;
		}
	}
	char *s = malloc(total + 1);
	if (s == NULL)
		return -ENOMEM;
	size_t len = 0;
	for (const xmlNode *c = n->children; c != NULL; c = c->next) {
		if (c->type == XML_TEXT_NODE ||
		    c->type == XML_CDATA_SECTION_NODE) {
			size_t k = strlen((const char *)c->content);
			memcpy(s + len, c->content, k);
			len += k;
		}
	}
	ASSERT(len == total);
	s[len] = '\0';
	size_t start = 0;
	if (trim) {
		while (len > 0 && xp_space(s[len - 1]))
			len--;
		while (start < len && xp_space(s[start]))
			start++;
		memmove(s, s + start, len - start);
		len -= start;
		s[len] = '\0';
	}
	if (len > max_bytes) {
		free(s);
		return S3XML_ERR_LIMIT;
	}
	*out = s;
	return 0;
}

int xp_container_check(const xmlNode *n)
{
	for (const xmlNode *c = n->children; c != NULL; c = c->next) {
		if (c->type != XML_TEXT_NODE &&
		    c->type != XML_CDATA_SECTION_NODE)
			continue;
		for (const xmlChar *p = c->content; *p; p++)
			if (!xp_space((char)*p))
				return S3XML_ERR_MALFORMED;
	}
	return 0;
}
