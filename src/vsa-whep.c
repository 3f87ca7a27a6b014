/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vsa-whep.h"

#include "vsa-http.h"

#include <libsoup/soup.h>
#include <string.h>

#include "vsa-codec.h"
#include "vsa-process.h"
#include "vsa-session.h"

#define WHEP_PATH "/whep"
#define SDP_TYPE "application/sdp"
#define PAGE_PATH "/org/vm-stream-agent/viewer/index.html"

/* from the compiled resource (src/vsa-viewer.gresource.xml); named here so that the static
 * library's object is linked in */
GResource *vsa_viewer_get_resource (void);

struct _VsaWhep
{
  const VsaConfig *config;
  SoupServer *server;
  guint port;
  guint answered;

  VsaSession *session;
  VsaCodecChoice *choice;
  char *location;             /* "/whep/<uuid>" of the session */
  SoupServerMessage *pending; /* the POST waiting for the session's answer */
  gulong pending_disconnected_id;
  gint64 offer_at; /* monotonic µs */
};

static void
respond_text (SoupServerMessage *message, guint status, const char *text)
{
  g_autofree char *body = g_strdup_printf ("%s\n", text);

  soup_server_message_set_status (message, status, NULL);
  soup_server_message_set_response (message, "text/plain; charset=utf-8", SOUP_MEMORY_COPY, body,
                                    strlen (body));
}

/* The waiting POST gets its response, and the connection goes on. */
static void
finish_pending (VsaWhep *self, guint status, const char *text, const char *sdp)
{
  g_autoptr (SoupServerMessage) message = g_steal_pointer (&self->pending);

  if (message == NULL)
    return;
  g_clear_signal_handler (&self->pending_disconnected_id, message);
  if (sdp != NULL)
    {
      SoupMessageHeaders *headers = soup_server_message_get_response_headers (message);

      soup_message_headers_replace (headers, "Location", self->location);
      soup_server_message_set_status (message, status, NULL);
      soup_server_message_set_response (message, SDP_TYPE, SOUP_MEMORY_COPY, sdp, strlen (sdp));
    }
  else
    respond_text (message, status, text);
  soup_server_message_unpause (message);
}

static void
end_session (VsaWhep *self, const char *reason)
{
  if (self->session == NULL)
    return;
  g_message ("session %s: ended: %s", self->location, reason);
  finish_pending (self, SOUP_STATUS_CONFLICT, reason, NULL);
  g_signal_handlers_disconnect_by_data (self->session, self);
  vsa_session_stop (self->session);
  g_clear_object (&self->session);
  vsa_process_release_memory_soon ();
  g_clear_pointer (&self->choice, vsa_codec_choice_free);
  g_clear_pointer (&self->location, g_free);
}

static void
on_answer_ready (VsaSession *session, const char *sdp, GPtrArray *candidates, VsaWhep *self)
{
  /* WHEP has no way to trickle from the server: the answer carries every candidate
   * gathered within the answer window */
  self->answered++;
  g_message ("session %s: answered %" G_GINT64_FORMAT " ms after the offer (%s, payload type %u, "
             "%u candidates)",
             self->location, (g_get_monotonic_time () - self->offer_at) / 1000,
             vsa_codec_to_string (self->choice->codec), self->choice->payload_type,
             candidates->len);
  finish_pending (self, SOUP_STATUS_CREATED, NULL, sdp);
  /* the client has the answer: an ICE failure from now on is final */
  vsa_session_set_answer_stored (session);
}

static void
on_connected (VsaSession *session, VsaWhep *self)
{
  g_message ("session %s: streaming %s", self->location,
             vsa_codec_to_encoding_name (self->choice->codec));
}

static void
on_session_ended (VsaSession *session, const char *reason, VsaWhep *self)
{
  /* a refused offer is the client's; anything else before the answer is ours */
  finish_pending (self,
                  vsa_session_get_end_reason (session) == VSA_END_REASON_WEBRTC_ERROR
                      ? SOUP_STATUS_BAD_REQUEST
                      : SOUP_STATUS_INTERNAL_SERVER_ERROR,
                  reason, NULL);
  end_session (self, reason);
}

/* Nobody is left to take the answer: the session would only wait for its ICE timeout. */
static void
on_pending_disconnected (SoupServerMessage *message, VsaWhep *self)
{
  self->pending_disconnected_id = 0;
  g_clear_object (&self->pending);
  end_session (self, "the client left before the answer");
}

static gboolean
is_authorized (VsaWhep *self, SoupServerMessage *message)
{
  const char *header;
  g_autofree char *expected = NULL;

  if (self->config->token == NULL)
    return TRUE;
  header = soup_message_headers_get_one (soup_server_message_get_request_headers (message),
                                         "Authorization");
  expected = g_strdup_printf ("Bearer %s", self->config->token);
  return header != NULL && g_strcmp0 (header, expected) == 0;
}

static void
post_offer (VsaWhep *self, SoupServerMessage *message)
{
  const char *type = soup_message_headers_get_content_type (
      soup_server_message_get_request_headers (message), NULL);
  SoupMessageBody *body = soup_server_message_get_request_body (message);
  g_autoptr (GBytes) bytes = NULL;
  g_autofree char *text = NULL;
  g_autoptr (GstSDPMessage) sdp = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *problem = NULL;
  g_autoptr (VsaCodecChoice) choice = NULL;
  g_autofree char *uuid = NULL;

  if (type == NULL || g_ascii_strcasecmp (type, SDP_TYPE) != 0)
    {
      respond_text (message, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, "the offer must be " SDP_TYPE);
      return;
    }
  bytes = soup_message_body_flatten (body);
  text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  if (gst_sdp_message_new_from_text (text, &sdp) != GST_SDP_OK)
    {
      respond_text (message, SOUP_STATUS_BAD_REQUEST, "the offer's SDP does not parse");
      return;
    }
  choice = vsa_codec_choose (sdp, (const char *const *) self->config->codecs, NULL, &error);
  if (choice == NULL)
    {
      problem = g_strdup_printf ("offer not answered: %s", error->message);
      respond_text (message, SOUP_STATUS_BAD_REQUEST, problem);
      return;
    }

  /* one viewer at a time: a new offer replaces the session, as on the controller */
  end_session (self, "a newer offer arrived");
  uuid = g_uuid_string_random ();
  self->location = g_strdup_printf (WHEP_PATH "/%s", uuid);
  self->offer_at = g_get_monotonic_time ();
  self->choice = g_steal_pointer (&choice);
  self->session = vsa_session_new (self->config, self->choice);
  g_signal_connect (self->session, "answer-ready", G_CALLBACK (on_answer_ready), self);
  g_signal_connect (self->session, "connected", G_CALLBACK (on_connected), self);
  g_signal_connect (self->session, "ended", G_CALLBACK (on_session_ended), self);
  g_message ("session %s: negotiating: answering with %s, payload type %u", self->location,
             vsa_codec_to_encoding_name (self->choice->codec), self->choice->payload_type);
  /* no ICE servers: standalone is for a browser that reaches the agent directly */
  if (!vsa_session_start (self->session, sdp, NULL, NULL, &error))
    {
      problem = g_strdup_printf ("cannot start streaming: %s", error->message);
      respond_text (message, SOUP_STATUS_INTERNAL_SERVER_ERROR, problem);
      end_session (self, problem);
      return;
    }
  self->pending = g_object_ref (message);
  self->pending_disconnected_id
      = g_signal_connect (message, "disconnected", G_CALLBACK (on_pending_disconnected), self);
  soup_server_message_pause (message);
}

static void
on_whep (SoupServer *server, SoupServerMessage *message, const char *path, GHashTable *query,
         gpointer data)
{
  VsaWhep *self = data;
  const char *method = soup_server_message_get_method (message);
  gboolean collection = g_strcmp0 (path, WHEP_PATH) == 0;

  if (!collection && !g_str_has_prefix (path, WHEP_PATH "/"))
    {
      respond_text (message, SOUP_STATUS_NOT_FOUND, "not found");
      return;
    }
  if (method != (collection ? SOUP_METHOD_POST : SOUP_METHOD_DELETE))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (message), "Allow",
                                    collection ? "POST" : "DELETE");
      respond_text (message, SOUP_STATUS_METHOD_NOT_ALLOWED, "method not allowed");
      return;
    }
  if (!is_authorized (self, message))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (message),
                                    "WWW-Authenticate", "Bearer");
      respond_text (message, SOUP_STATUS_UNAUTHORIZED, "a bearer token is required");
      return;
    }
  if (collection)
    {
      post_offer (self, message);
      return;
    }
  if (self->location == NULL || g_strcmp0 (path, self->location) != 0)
    {
      respond_text (message, SOUP_STATUS_NOT_FOUND, "no such session");
      return;
    }
  end_session (self, "the client deleted it");
  respond_text (message, SOUP_STATUS_OK, "ended");
}

/* The page picks its flow from the query: WHEP unless one is given. */
static void
on_page (SoupServer *server, SoupServerMessage *message, const char *path, GHashTable *query,
         gpointer data)
{
  const char *method = soup_server_message_get_method (message);
  g_autoptr (GBytes) page = NULL;

  if (g_strcmp0 (path, "/") != 0)
    {
      respond_text (message, SOUP_STATUS_NOT_FOUND, "not found");
      return;
    }
  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD)
    {
      respond_text (message, SOUP_STATUS_METHOD_NOT_ALLOWED, "method not allowed");
      return;
    }
  if (query == NULL || !g_hash_table_contains (query, "flow"))
    {
      const char *rest = g_uri_get_query (soup_server_message_get_uri (message));
      g_autofree char *location
          = g_strdup_printf ("/?flow=whep%s%s", rest != NULL ? "&" : "", rest != NULL ? rest : "");

      soup_server_message_set_redirect (message, SOUP_STATUS_FOUND, location);
      return;
    }
  page = g_resource_lookup_data (vsa_viewer_get_resource (), PAGE_PATH,
                                 G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  soup_server_message_set_status (message, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (message, "text/html; charset=utf-8", SOUP_MEMORY_COPY,
                                    g_bytes_get_data (page, NULL), g_bytes_get_size (page));
}

VsaWhep *
vsa_whep_new (const VsaConfig *config)
{
  VsaWhep *self = g_new0 (VsaWhep, 1);

  self->config = config;
  self->server = soup_server_new ("server-header", PACKAGE " ", NULL);
  soup_server_add_handler (self->server, WHEP_PATH, on_whep, self, NULL);
  soup_server_add_handler (self->server, "/", on_page, self, NULL);
  return self;
}

void
vsa_whep_free (VsaWhep *self)
{
  if (self == NULL)
    return;
  vsa_process_prepare_wait ();
  end_session (self, "stopping");
  soup_server_disconnect (self->server);
  g_object_unref (self->server);
  g_free (self);
}

gboolean
vsa_whep_listen (VsaWhep *self, const char *address, guint port, GError **error)
{
  if (!vsa_http_listen (self->server, address, port, &self->port, error))
    return FALSE;
  /* the first session's DTLS key, made ahead as the agent does */
  vsa_process_prepare ();
  return TRUE;
}

guint
vsa_whep_get_port (VsaWhep *self)
{
  return self->port;
}

guint
vsa_whep_get_answered_count (VsaWhep *self)
{
  return self->answered;
}

gboolean
vsa_whep_has_session (VsaWhep *self)
{
  return self->session != NULL;
}
