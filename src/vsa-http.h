/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* What the agent's two HTTP servers (--listen, --metrics-listen) share. */

/* Listens on address (a numeric IP) and port (0: any free one); *bound_port is the
 * port it got. */
gboolean vsa_http_listen (SoupServer *server, const char *address, guint port, guint *bound_port,
                          GError **error);

/* "http://ADDRESS:PORT", an IPv6 address in brackets. */
char *vsa_http_url (const char *address, guint port);

G_END_DECLS
