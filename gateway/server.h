/*
 * server.h — the S3 HTTP server: libmicrohttpd, one thread per connection.
 *
 * Thread per connection because S3 handlers block: a PUT waits for its
 * commit (and so joins a group commit with every other writer), a GET waits
 * on disk.  A slow client therefore holds only its own thread, never
 * another's; connections are capped (max_connections) and idle ones closed
 * (idle_timeout_s), headers included, so slowloris costs a bounded number of
 * threads for a bounded time.
 */
#ifndef VS_GATEWAY_SERVER_H
#define VS_GATEWAY_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "gateway/config.h"

struct gw_server;

/*
 * Starts serving on cfg->listen.  app is handed to handlers
 * (gw_server_app) and borrowed for the server's life; cfg too.  Returns 0
 * and *out, or -errno (EADDRINUSE...) after logging why.
 */
int gw_server_start(const struct gw_config *cfg, void *app, struct gw_server **out);

/* The port actually bound (useful with port 0). */
uint16_t gw_server_port(const struct gw_server *s);

void *gw_server_app(const struct gw_server *s);
const struct gw_config *gw_server_config(const struct gw_server *s);

/* Requests being served right now. */
unsigned gw_server_in_flight(const struct gw_server *s);

/*
 * Graceful stop: stop accepting connections, let in-flight requests finish
 * for up to grace_s seconds, then close everything and free s.  Returns true
 * if every request finished in time.
 */
bool gw_server_stop(struct gw_server *s, unsigned grace_s);

#endif /* VS_GATEWAY_SERVER_H */
