/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vsa-http.h"

#include <string.h>

gboolean
vsa_http_listen (SoupServer *server, const char *address, guint port, guint *bound_port,
                 GError **error)
{
  g_autoptr (GSocketAddress) socket_address = g_inet_socket_address_new_from_string (address, port);
  GSList *uris;

  if (socket_address == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "not an IP address: %s",
                   address);
      return FALSE;
    }
  if (!soup_server_listen (server, socket_address, 0, error))
    return FALSE;
  uris = soup_server_get_uris (server);
  *bound_port = uris != NULL ? (guint) g_uri_get_port (uris->data) : port;
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return TRUE;
}

char *
vsa_http_url (const char *address, guint port)
{
  gboolean ipv6 = strchr (address, ':') != NULL;

  return g_strdup_printf ("http://%s%s%s:%u", ipv6 ? "[" : "", address, ipv6 ? "]" : "", port);
}
