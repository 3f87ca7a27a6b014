/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vsa-http.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* Main thread only. The servers listening, by role (weak references: the latest of a
 * role, as tests make many), and the sockets handed over by the image before this one
 * (fds, by "ROLE ADDRESS PORT" as configured: a setting changed meanwhile listens anew). */
static GHashTable *listening;
static GHashTable *handed_over;

static void
vsa_http_forget (gpointer role, GObject *server)
{
  if (g_hash_table_lookup (listening, role) == server)
    g_hash_table_remove (listening, role);
}

#define HANDOVER_NAME "vsa-http-handover-name"

static void
vsa_http_remember (SoupServer *server, const char *role, const char *name)
{
  g_object_set_data_full (G_OBJECT (server), HANDOVER_NAME, g_strdup (name), g_free);
  if (listening == NULL)
    listening = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_replace (listening, (gpointer) role, server);
  g_object_weak_ref (G_OBJECT (server), (GWeakNotify) vsa_http_forget, (gpointer) role);
}

/* Listens on the socket handed over as @name, if there is one that works. */
static gboolean
vsa_http_listen_handed_over (SoupServer *server, const char *name)
{
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GError) error = NULL;
  gpointer fd;

  if (handed_over == NULL || !g_hash_table_steal_extended (handed_over, name, NULL, &fd))
    return FALSE;
  socket = g_socket_new_from_fd (GPOINTER_TO_INT (fd), &error);
  if (socket == NULL)
    close (GPOINTER_TO_INT (fd));
  if (socket == NULL || !soup_server_listen_socket (server, socket, 0, &error))
    {
      g_warning ("%s: listening anew, the socket handed over is unusable: %s", name,
                 error->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
vsa_http_listen (SoupServer *server, const char *role, const char *address, guint port,
                 guint *bound_port, GError **error)
{
  g_autoptr (GSocketAddress) socket_address = g_inet_socket_address_new_from_string (address, port);
  g_autofree char *name = g_strdup_printf ("%s %s %u", role, address, port);
  GSList *uris;

  if (socket_address == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "not an IP address: %s",
                   address);
      return FALSE;
    }
  if (!vsa_http_listen_handed_over (server, name)
      && !soup_server_listen (server, socket_address, 0, error))
    return FALSE;
  vsa_http_remember (server, role, name);
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

GVariant *
vsa_http_hand_over (void)
{
  GVariantBuilder builder;
  GHashTableIter iter;
  gpointer server;
  int fd;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{si}"));
  if (listening == NULL)
    return g_variant_builder_end (&builder);
  g_hash_table_iter_init (&iter, listening);
  while (g_hash_table_iter_next (&iter, NULL, &server))
    {
      GSList *listeners = soup_server_get_listeners (server);

      /* one socket per server: vsa_http_listen() listens on one address */
      if (listeners == NULL)
        continue;
      fd = g_socket_get_fd (listeners->data);
      fcntl (fd, F_SETFD, fcntl (fd, F_GETFD) & ~FD_CLOEXEC);
      g_variant_builder_add (&builder, "{si}",
                             (const char *) g_object_get_data (server, HANDOVER_NAME), fd);
      g_slist_free (listeners);
    }
  return g_variant_builder_end (&builder);
}

void
vsa_http_take_over (GVariant *listeners)
{
  GVariantIter iter;
  const char *key;
  gint32 fd;

  if (handed_over == NULL)
    handed_over = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_variant_iter_init (&iter, listeners);
  while (g_variant_iter_next (&iter, "{&si}", &key, &fd))
    {
      /* not to be handed on to whatever this image starts */
      fcntl (fd, F_SETFD, fcntl (fd, F_GETFD) | FD_CLOEXEC);
      g_hash_table_replace (handed_over, g_strdup (key), GINT_TO_POINTER (fd));
    }
}

void
vsa_http_close_unclaimed (void)
{
  GHashTableIter iter;
  gpointer fd;

  if (handed_over == NULL)
    return;
  g_hash_table_iter_init (&iter, handed_over);
  while (g_hash_table_iter_next (&iter, NULL, &fd))
    close (GPOINTER_TO_INT (fd));
  g_clear_pointer (&handed_over, g_hash_table_destroy);
}
