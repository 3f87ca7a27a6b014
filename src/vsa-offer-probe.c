/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vsa-offer-probe.h"

#include "vsa-config.h"

#include <string.h>

/* A 404's head and body fit; a bigger reply is not the waiting one. */
#define BUFFER_BYTES 2048

struct _VsaOfferProbe
{
  char *request; /* the whole GET, with the token: a secret */
  gsize request_length;
  GSocketConnectable *address;
  GSocketClient *client;
  GCancellable *connecting; /* while a connection is made */
  GSocketConnection *connection;
  GSource *readable; /* the connection's socket, for its life */
  guint timeout_s;
  guint deadline_id;
  VsaOfferProbeCallback callback; /* the probe in flight */
  gpointer callback_data;
  gsize received;
  char buffer[BUFFER_BYTES + 1]; /* NUL-terminated */
};

static void
vsa_offer_probe_finish (VsaOfferProbe *self, gboolean not_found)
{
  VsaOfferProbeCallback callback = self->callback;

  g_clear_handle_id (&self->deadline_id, g_source_remove);
  self->callback = NULL;
  if (callback != NULL)
    callback (not_found, self->callback_data);
}

static void
vsa_offer_probe_close (VsaOfferProbe *self)
{
  if (self->readable != NULL)
    g_source_destroy (self->readable);
  g_clear_pointer (&self->readable, g_source_unref);
  g_clear_object (&self->connection);
  self->received = 0;
}

static gboolean
vsa_offer_probe_on_deadline (gpointer data)
{
  VsaOfferProbe *self = data;

  self->deadline_id = 0;
  vsa_offer_probe_close (self);
  vsa_offer_probe_finish (self, FALSE);
  return G_SOURCE_REMOVE;
}

/* A header's value when line (up to its CRLF) is that header, else NULL. */
static const char *
vsa_offer_probe_header (const char *line, const char *line_end, const char *name)
{
  gsize name_length = strlen (name);

  if ((gsize) (line_end - line) <= name_length || g_ascii_strncasecmp (line, name, name_length) != 0
      || line[name_length] != ':')
    return NULL;
  return line + name_length + 1;
}

/* TRUE once the buffer holds enough of a reply to tell it; *not_found says whether it is a
 * 404 (its status is enough: the body is never used), *keep whether the connection can
 * serve the next probe (the whole reply, of known length, and nothing after it). */
static gboolean
vsa_offer_probe_parse (VsaOfferProbe *self, gboolean *not_found, gboolean *keep)
{
  const char *head = self->buffer;
  const char *end = strstr (head, "\r\n\r\n");
  gint64 content_length = -1;
  gboolean close = FALSE;
  gsize length;

  *not_found = FALSE;
  *keep = FALSE;
  if (end == NULL)
    return self->received == BUFFER_BYTES;
  if (!g_str_has_prefix (head, "HTTP/1.1 404 "))
    return TRUE;
  *not_found = TRUE;
  for (const char *line = strstr (head, "\r\n") + 2; line < end;)
    {
      const char *line_end = strstr (line, "\r\n");
      const char *value;

      if ((value = vsa_offer_probe_header (line, line_end, "Content-Length")) != NULL)
        {
          g_autofree char *number = g_strstrip (g_strndup (value, (gsize) (line_end - value)));

          if (!g_ascii_string_to_signed (number, 10, 0, BUFFER_BYTES, &content_length, NULL))
            close = TRUE;
        }
      else if (vsa_offer_probe_header (line, line_end, "Transfer-Encoding") != NULL)
        close = TRUE;
      else if ((value = vsa_offer_probe_header (line, line_end, "Connection")) != NULL
               && g_strstr_len (value, line_end - value, "close") != NULL)
        close = TRUE;
      line = line_end + 2;
    }
  if (close || content_length < 0)
    return TRUE;
  length = (gsize) (end + 4 - head) + (gsize) content_length;
  if (self->received < length)
    return length > BUFFER_BYTES;
  *keep = self->received == length;
  return TRUE;
}

static gboolean
vsa_offer_probe_on_readable (GSocket *socket, GIOCondition condition, gpointer data)
{
  VsaOfferProbe *self = data;
  g_autoptr (GError) error = NULL;
  gboolean not_found;
  gboolean keep;
  gssize n;

  n = g_socket_receive (socket, self->buffer + self->received, BUFFER_BYTES - self->received, NULL,
                        &error);
  if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return G_SOURCE_CONTINUE;
  /* The controller closed the idle connection, or spoke out of turn. */
  if (n <= 0 || self->callback == NULL)
    {
      vsa_offer_probe_close (self);
      vsa_offer_probe_finish (self, FALSE);
      return G_SOURCE_REMOVE;
    }
  self->received += (gsize) n;
  self->buffer[self->received] = '\0';
  if (!vsa_offer_probe_parse (self, &not_found, &keep))
    return G_SOURCE_CONTINUE;
  if (keep)
    self->received = 0;
  else
    vsa_offer_probe_close (self);
  vsa_offer_probe_finish (self, not_found);
  /* the callback may have sent the next probe, or closed: the source is destroyed then */
  return G_SOURCE_CONTINUE;
}

static void
vsa_offer_probe_on_connected (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketConnection) connection
      = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  VsaOfferProbe *self;
  GSocket *socket;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = data;
  g_clear_object (&self->connecting);
  if (connection == NULL)
    {
      /* libsoup asks in its place, and reports what is wrong */
      g_debug ("offer probe: %s", error->message);
      return;
    }
  socket = g_socket_connection_get_socket (connection);
  g_socket_set_blocking (socket, FALSE);
  /* The deadline bounds a probe; a socket timeout would also reset a timer, and wake the
   * main context, on every read. */
  g_socket_set_timeout (socket, 0);
  self->connection = g_steal_pointer (&connection);
  self->readable = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (self->readable, G_SOURCE_FUNC (vsa_offer_probe_on_readable), self, NULL);
  /* GLib blocks a source while it dispatches by taking its fd out of the poll and back,
   * each a wakeup of the context; the callback never iterates the context, so no need. */
  g_source_set_can_recurse (self->readable, TRUE);
  g_source_attach (self->readable, g_main_context_get_thread_default ());
}

VsaOfferProbe *
vsa_offer_probe_new (const char *url, const char *authorization, guint timeout_s)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);
  VsaOfferProbe *self;
  const char *host;
  g_autofree char *host_header = NULL;
  g_autofree char *authorization_line = NULL;
  int port;

  if (uri == NULL || g_strcmp0 (g_uri_get_scheme (uri), "http") != 0
      || g_uri_get_host (uri) == NULL)
    return NULL;
  self = g_new0 (VsaOfferProbe, 1);
  host = g_uri_get_host (uri);
  port = g_uri_get_port (uri);
  host_header = g_strdup_printf (strchr (host, ':') != NULL ? "[%s]" : "%s", host);
  if (port != -1)
    {
      char *with_port = g_strdup_printf ("%s:%d", host_header, port);

      g_free (host_header);
      host_header = with_port;
    }
  if (authorization != NULL)
    authorization_line = g_strdup_printf ("Authorization: %s\r\n", authorization);
  /* As libsoup sends it, less its Accept-Encoding (a 404's body is never read). */
  self->request
      = g_strdup_printf ("GET %s%s%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: "
                         "vm-stream-agent\r\n%sConnection: Keep-Alive\r\n\r\n",
                         g_uri_get_path (uri), g_uri_get_query (uri) != NULL ? "?" : "",
                         g_uri_get_query (uri) != NULL ? g_uri_get_query (uri) : "", host_header,
                         authorization_line != NULL ? authorization_line : "");
  vsa_secret_clear (&authorization_line);
  self->request_length = strlen (self->request);
  self->address = g_network_address_new (host, port != -1 ? (guint16) port : 80);
  self->client = g_socket_client_new ();
  /* GIO's default proxy resolver would load libproxy; the controller sets the probe up only
   * when no proxy is configured */
  g_socket_client_set_enable_proxy (self->client, FALSE);
  g_socket_client_set_timeout (self->client, timeout_s);
  self->timeout_s = timeout_s;
  return self;
}

void
vsa_offer_probe_free (VsaOfferProbe *self)
{
  if (self == NULL)
    return;
  self->callback = NULL;
  g_clear_handle_id (&self->deadline_id, g_source_remove);
  vsa_offer_probe_close (self);
  g_cancellable_cancel (self->connecting);
  g_clear_object (&self->connecting);
  g_clear_object (&self->client);
  g_clear_object (&self->address);
  vsa_secret_clear (&self->request);
  g_free (self);
}

gboolean
vsa_offer_probe_send (VsaOfferProbe *self, VsaOfferProbeCallback callback, gpointer data)
{
  gssize sent;

  if (self->callback != NULL || self->connecting != NULL)
    return FALSE;
  if (self->connection == NULL)
    {
      self->connecting = g_cancellable_new ();
      g_socket_client_connect_async (self->client, self->address, self->connecting,
                                     vsa_offer_probe_on_connected, self);
      return FALSE;
    }
  sent = g_socket_send (g_socket_connection_get_socket (self->connection), self->request,
                        self->request_length, NULL, NULL);
  if (sent != (gssize) self->request_length)
    {
      vsa_offer_probe_close (self);
      return FALSE;
    }
  self->callback = callback;
  self->callback_data = data;
  self->received = 0;
  self->deadline_id = g_timeout_add_seconds (self->timeout_s, vsa_offer_probe_on_deadline, self);
  return TRUE;
}
