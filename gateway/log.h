/*
 * log.h — the gateway's log: one line per event, to stderr.
 *
 * Lines look like
 *   2026-11-24T15:30:01.123Z INFO  req=00000000000000a3 GET /b/k 200 1024B 3.1ms
 * Untrusted bytes (paths, keys, header values) go through gw_log_escape so
 * a client cannot forge log lines; secrets, signatures and Authorization
 * headers are never logged.  Thread-safe: each line is one write(2).
 */
#ifndef VS_GATEWAY_LOG_H
#define VS_GATEWAY_LOG_H

#include <stddef.h>

enum gw_log_level { GW_LOG_DEBUG, GW_LOG_INFO, GW_LOG_WARN, GW_LOG_ERROR };

/* Lines below level are dropped.  Default GW_LOG_INFO. */
void gw_log_set_level(enum gw_log_level level);
enum gw_log_level gw_log_get_level(void);
/* Parses "debug", "info", "warn", "error"; 0 or -1. */
int gw_log_level_parse(const char *s, enum gw_log_level *out);

/* Formats and writes one line; a trailing newline is added. */
void gw_log(enum gw_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Copies src (len bytes) into dst (dst_size bytes, NUL-terminated),
 * replacing bytes outside printable ASCII, backslash and double quote by
 * \xHH, and truncating with "..." when it does not fit.  Returns dst.
 */
char *gw_log_escape(char *dst, size_t dst_size, const char *src, size_t len);

#endif /* VS_GATEWAY_LOG_H */
