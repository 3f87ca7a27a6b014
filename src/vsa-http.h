/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* What the agent's two HTTP servers (--listen, --metrics-listen) share. */

/* Listens on address (a numeric IP) and port (0: any free one); *bound_port is the
 * port it got. @role (a string literal: the setting, "listen" or "metrics-listen") names
 * the socket for a fresh image, which takes the one handed over under that name. */
gboolean vsa_http_listen (SoupServer *server, const char *role, const char *address, guint port,
                          guint *bound_port, GError **error);

/* "http://ADDRESS:PORT", an IPv6 address in brackets. */
char *vsa_http_url (const char *address, guint port);

/* A fresh process image (vsa_process_exec_fresh()) goes on listening on the same sockets,
 * so no connection is refused meanwhile: the servers' listening sockets, kept open across
 * exec, by role and configured address (a{si}, floating); and, in the new image, the
 * sockets to take over.
 * Listeners nobody took are closed by vsa_http_close_unclaimed(). */
GVariant *vsa_http_hand_over (void);
void vsa_http_take_over (GVariant *listeners);
void vsa_http_close_unclaimed (void);

G_END_DECLS
