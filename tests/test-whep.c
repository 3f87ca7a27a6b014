/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vsa-whep: standalone mode's HTTP side (/vsa/whep/http/, unit: refusals and the page) and
 * (/vsa/whep/session/, integration) offers answered over WHEP: a recorded Chromium offer,
 * and an in-process peer that decodes the stream. */
#include "config.h"

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <libsoup/soup.h>
#include <string.h>

#include "vsa-metrics.h"
#include "vsa-test-peer.h"
#include "vsa-test-util.h"
#include "vsa-whep.h"

#define VP8_CAPS "application/x-rtp,media=video,encoding-name=VP8,payload=120,clock-rate=90000"
#define TOKEN "s3cret-token"
#define ORIGIN "http://player.example:8443"
#define STUN_URL "stun:192.0.2.10:3478"
#define TURN_URL "turn:192.0.2.11:3478?transport=udp"

/* What a case configures: the token, allow-origins, whether ICE servers. */
typedef struct
{
  const char *token;
  const char *origins;
  gboolean ice_servers;
} Setup;

static const Setup plain = { NULL, NULL, FALSE };
static const Setup with_token = { TOKEN, NULL, FALSE };
static const Setup with_cors = { NULL, ORIGIN, FALSE };
static const Setup with_cors_any = { NULL, "*", FALSE };
static const Setup with_all = { TOKEN, ORIGIN, TRUE };
static const Setup with_ice = { NULL, ORIGIN, TRUE };

typedef struct
{
  VsaConfig *config;
  VsaWhep *whep;
  SoupSession *session;
} Fixture;

static void
fixture_set_up (Fixture *fixture, gconstpointer data)
{
  const Setup *setup = data;
  g_autoptr (GError) error = NULL;

  fixture->config = vsa_config_new ();
  fixture->config->session_id = g_strdup ("whep");
  fixture->config->source = VSA_SOURCE_TEST;
  g_strfreev (fixture->config->codecs);
  fixture->config->codecs = g_strsplit ("vp8", ",", -1);
  if (vsa_test_timeout_multiplier () > 1)
    fixture->config->fps = 10; /* a slow run (valgrind): see test-agent.c */
  fixture->config->token = g_strdup (setup->token);
  if (setup->origins != NULL)
    fixture->config->allow_origins = g_strsplit (setup->origins, ",", -1);
  if (setup->ice_servers)
    {
      /* nothing answers there: the session's gathering gives up on them in its window */
      fixture->config->ice_servers = g_strsplit (STUN_URL "," TURN_URL, ",", -1);
      fixture->config->ice_username = g_strdup ("user");
      fixture->config->ice_credential = g_strdup ("pa\"ss");
    }
  fixture->whep = vsa_whep_new (fixture->config);
  g_assert_true (vsa_whep_listen (fixture->whep, "127.0.0.1", 0, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (vsa_whep_get_port (fixture->whep), >, 0);
  fixture->session = soup_session_new ();
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer data)
{
  g_clear_object (&fixture->session);
  g_clear_pointer (&fixture->whep, vsa_whep_free);
  g_clear_pointer (&fixture->config, vsa_config_free);
}

static gboolean
has_session (Fixture *fixture)
{
  return vsa_session_host_get_state (vsa_whep_get_host (fixture->whep)) != VSA_SESSION_HOST_WAITING;
}

static VsaSessionHostStats
host_stats (Fixture *fixture)
{
  VsaSessionHostStats stats;

  vsa_session_host_get_stats (vsa_whep_get_host (fixture->whep), &stats);
  return stats;
}

/* One request on the thread-default context, which also runs the endpoint and its
 * session: the response body as text, the message (status, headers) in *out_message.
 * headers: NULL or name, value, …, NULL. */
static char *
request_full (Fixture *fixture, const char *method, const char *path, const char *content_type,
              const char *body, const char *token, const char *const *headers,
              SoupMessage **out_message)
{
  g_autofree char *url
      = g_strdup_printf ("http://127.0.0.1:%u%s", vsa_whep_get_port (fixture->whep), path);
  g_autoptr (SoupMessage) message = soup_message_new (method, url);
  char *text;

  soup_message_add_flags (message, SOUP_MESSAGE_NO_REDIRECT);
  if (body != NULL)
    {
      g_autoptr (GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (message, content_type, bytes);
    }
  if (token != NULL)
    {
      g_autofree char *value = g_strdup_printf ("Bearer %s", token);

      soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization",
                                    value);
    }
  for (guint i = 0; headers != NULL && headers[i] != NULL; i += 2)
    soup_message_headers_replace (soup_message_get_request_headers (message), headers[i],
                                  headers[i + 1]);
  text = vsa_test_http_send (fixture->session, message, 20000);
  *out_message = g_steal_pointer (&message);
  return text;
}

static char *
request (Fixture *fixture, const char *method, const char *path, const char *content_type,
         const char *body, const char *token, SoupMessage **out_message)
{
  return request_full (fixture, method, path, content_type, body, token, NULL, out_message);
}

static const char *
response_header (SoupMessage *message, const char *name)
{
  return soup_message_headers_get_one (soup_message_get_response_headers (message), name);
}

static char *
read_recorded_offer (const char *name)
{
  g_autofree char *path = g_build_filename (g_getenv ("VSA_TEST_DATA"), name, NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonObject *root;

  g_assert_true (json_parser_load_from_file (parser, path, &error));
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  return g_strdup (
      json_object_get_string_member (json_object_get_object_member (root, "offer"), "sdp"));
}

static guint
status_of (Fixture *fixture, const char *method, const char *path, const char *content_type,
           const char *body, const char *token, char **out_text)
{
  g_autoptr (SoupMessage) message = NULL;
  g_autofree char *text = request (fixture, method, path, content_type, body, token, &message);

  if (out_text != NULL)
    *out_text = g_steal_pointer (&text);
  return soup_message_get_status (message);
}

/* --- refusals and the page (no session starts) ------------------------------------------ */

static void
test_http_refusals (Fixture *fixture, gconstpointer data)
{
  g_autofree char *text = NULL;

  g_assert_cmpuint (status_of (fixture, "POST", "/whep", "application/json", "{}", NULL, NULL), ==,
                    SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE);
  g_assert_cmpuint (status_of (fixture, "POST", "/whep", "application/sdp", "hello", NULL, &text),
                    ==, SOUP_STATUS_BAD_REQUEST);
  /* one line saying why */
  g_assert_nonnull (strstr (text, "offer"));
  g_assert_cmpuint (strchr (text, '\n') - text, ==, strlen (text) - 1);
  g_clear_pointer (&text, g_free);
  g_assert_cmpuint (status_of (fixture, "POST", "/whep", "application/sdp",
                               "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n", NULL, &text),
                    ==, SOUP_STATUS_BAD_REQUEST);
  g_assert_nonnull (strstr (text, "offer not answered"));
  g_assert_cmpuint (status_of (fixture, "GET", "/whep", NULL, NULL, NULL, NULL), ==,
                    SOUP_STATUS_METHOD_NOT_ALLOWED);
  g_assert_cmpuint (status_of (fixture, "DELETE", "/whep/nothing", NULL, NULL, NULL, NULL), ==,
                    SOUP_STATUS_NOT_FOUND);
  g_assert_cmpuint (status_of (fixture, "GET", "/nothing", NULL, NULL, NULL, NULL), ==,
                    SOUP_STATUS_NOT_FOUND);
  g_assert_false (has_session (fixture));
}

static void
test_http_token (Fixture *fixture, gconstpointer data)
{
  g_autofree char *offer = read_recorded_offer ("chromium-viewer-offer.json");
  g_autoptr (SoupMessage) message = NULL;
  g_autofree char *text = NULL;

  text = request (fixture, "POST", "/whep", "application/sdp", offer, NULL, &message);
  g_assert_cmpuint (soup_message_get_status (message), ==, SOUP_STATUS_UNAUTHORIZED);
  g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (message),
                                                 "WWW-Authenticate"),
                   ==, "Bearer");
  g_assert_cmpuint (status_of (fixture, "POST", "/whep", "application/sdp", offer, "wrong", NULL),
                    ==, SOUP_STATUS_UNAUTHORIZED);
  g_assert_cmpuint (status_of (fixture, "DELETE", "/whep/x", NULL, NULL, NULL, NULL), ==,
                    SOUP_STATUS_UNAUTHORIZED);
  /* with the token the request gets as far as its content */
  g_assert_cmpuint (status_of (fixture, "POST", "/whep", "text/plain", "x", TOKEN, NULL), ==,
                    SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE);
  g_assert_false (has_session (fixture));
}

/* Each path's methods: others get 405 with the list; a resource that is not the current
 * session is 404 whatever the method. */
static void
test_http_methods (Fixture *fixture, gconstpointer data)
{
  g_autoptr (SoupMessage) put = NULL;
  g_autoptr (SoupMessage) get = NULL;
  g_autoptr (SoupMessage) options = NULL;
  g_autoptr (SoupMessage) json = NULL;
  g_autofree char *text = NULL;
  const char *const origin[] = { "Origin", ORIGIN, NULL };

  g_free (request (fixture, "PUT", "/whep", "application/sdp", "v=0", NULL, &put));
  g_assert_cmpuint (soup_message_get_status (put), ==, SOUP_STATUS_METHOD_NOT_ALLOWED);
  g_assert_cmpstr (response_header (put, "Allow"), ==, "OPTIONS, POST");
  g_free (request (fixture, "GET", "/whep/x", NULL, NULL, NULL, &get));
  g_assert_cmpuint (soup_message_get_status (get), ==, SOUP_STATUS_METHOD_NOT_ALLOWED);
  g_assert_cmpstr (response_header (get, "Allow"), ==, "OPTIONS, PATCH, DELETE");
  g_assert_cmpuint (status_of (fixture, "PATCH", "/whep/x", "application/trickle-ice-sdpfrag",
                               "a=end-of-candidates\r\n", NULL, NULL),
                    ==, SOUP_STATUS_NOT_FOUND);
  g_assert_cmpuint (status_of (fixture, "OPTIONS", "/whep/x", NULL, NULL, NULL, NULL), ==,
                    SOUP_STATUS_NOT_FOUND);
  /* no allow-origins: no CORS headers, whoever asks */
  text = request_full (fixture, "OPTIONS", "/whep", NULL, NULL, NULL, origin, &options);
  g_assert_cmpuint (soup_message_get_status (options), ==, SOUP_STATUS_NO_CONTENT);
  g_assert_cmpstr (response_header (options, "Allow"), ==, "OPTIONS, POST");
  g_assert_cmpstr (response_header (options, "Accept-Post"), ==, "application/sdp");
  g_assert_null (response_header (options, "Access-Control-Allow-Origin"));
  g_assert_null (response_header (options, "Link"));
  g_free (request (fixture, "POST", "/whep", "application/json", "{}", NULL, &json));
  g_assert_cmpuint (soup_message_get_status (json), ==, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE);
  g_assert_cmpstr (response_header (json, "Accept-Post"), ==, "application/sdp");
  g_assert_false (has_session (fixture));
}

/* A browser's preflight as Chromium sends it for a WHEP POST. */
static SoupMessage *
preflight (Fixture *fixture, const char *origin, const char *method)
{
  const char *const headers[] = { "Origin",
                                  origin,
                                  "Access-Control-Request-Method",
                                  method,
                                  "Access-Control-Request-Headers",
                                  "authorization,content-type",
                                  NULL };
  SoupMessage *message = NULL;

  g_free (request_full (fixture, "OPTIONS", "/whep", NULL, NULL, NULL, headers, &message));
  return message;
}

/* allow-origins: a listed origin's preflight is answered for WHEP's methods and headers,
 * and its responses expose what a player reads; another origin gets no CORS header. */
static void
test_http_cors (Fixture *fixture, gconstpointer data)
{
  g_autoptr (SoupMessage) allowed = preflight (fixture, ORIGIN, "POST");
  g_autoptr (SoupMessage) refused = preflight (fixture, "http://elsewhere.example", "POST");
  g_autoptr (SoupMessage) post = NULL;
  const char *const origin[] = { "Origin", ORIGIN, NULL };
  const char *allow_headers;

  g_assert_cmpuint (soup_message_get_status (allowed), ==, SOUP_STATUS_NO_CONTENT);
  g_assert_cmpstr (response_header (allowed, "Access-Control-Allow-Origin"), ==, ORIGIN);
  g_assert_cmpstr (response_header (allowed, "Access-Control-Allow-Methods"), ==, "OPTIONS, POST");
  allow_headers = response_header (allowed, "Access-Control-Allow-Headers");
  g_assert_nonnull (strstr (allow_headers, "Content-Type"));
  g_assert_nonnull (strstr (allow_headers, "Authorization"));
  g_assert_nonnull (strstr (allow_headers, "If-Match"));
  g_assert_cmpstr (response_header (allowed, "Access-Control-Max-Age"), ==, "7200");
  g_assert_cmpstr (
      soup_message_headers_get_list (soup_message_get_response_headers (allowed), "Vary"), ==,
      "Origin");

  g_assert_cmpuint (soup_message_get_status (refused), ==, SOUP_STATUS_NO_CONTENT);
  g_assert_null (response_header (refused, "Access-Control-Allow-Origin"));
  g_assert_null (response_header (refused, "Access-Control-Allow-Methods"));

  /* a refusal too is readable by the player's page */
  g_free (request_full (fixture, "POST", "/whep", "text/plain", "x", NULL, origin, &post));
  g_assert_cmpuint (soup_message_get_status (post), ==, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE);
  g_assert_cmpstr (response_header (post, "Access-Control-Allow-Origin"), ==, ORIGIN);
  g_assert_cmpstr (response_header (post, "Access-Control-Expose-Headers"), ==,
                   "Location, Link, ETag");
}

/* allow-origins=*: any origin is echoed. */
static void
test_http_cors_any (Fixture *fixture, gconstpointer data)
{
  g_autoptr (SoupMessage) message = preflight (fixture, "http://anywhere.example:1234", "POST");

  g_assert_cmpstr (response_header (message, "Access-Control-Allow-Origin"), ==,
                   "http://anywhere.example:1234");
}

/* ICE servers on OPTIONS (RFC 9725 section 4.6), with the TURN credential only for a
 * client that shows the token: a preflight carries none and gets none. */
static void
test_http_ice_links (Fixture *fixture, gconstpointer data)
{
  g_autoptr (SoupMessage) anonymous = preflight (fixture, ORIGIN, "POST");
  g_autoptr (SoupMessage) client = NULL;
  const char *links;

  g_assert_cmpuint (soup_message_get_status (anonymous), ==, SOUP_STATUS_NO_CONTENT);
  g_assert_null (response_header (anonymous, "Link"));
  g_free (request (fixture, "OPTIONS", "/whep", NULL, NULL, TOKEN, &client));
  g_assert_cmpuint (soup_message_get_status (client), ==, SOUP_STATUS_NO_CONTENT);
  links = soup_message_headers_get_list (soup_message_get_response_headers (client), "Link");
  g_assert_nonnull (strstr (links, "<" STUN_URL ">; rel=\"ice-server\""));
  g_assert_nonnull (strstr (links, "<" TURN_URL ">; rel=\"ice-server\"; username=\"user\"; "
                                   "credential=\"pa\\\"ss\"; credential-type=\"password\""));
  g_assert_null (strstr (links, STUN_URL ">; rel=\"ice-server\"; username"));
}

static void
test_http_page (Fixture *fixture, gconstpointer data)
{
  g_autoptr (SoupMessage) message = NULL;
  g_autoptr (SoupMessage) page_message = NULL;
  g_autofree char *text = NULL;
  g_autofree char *page = NULL;

  text = request (fixture, "GET", "/?token=x", NULL, NULL, NULL, &message);
  g_assert_cmpuint (soup_message_get_status (message), ==, SOUP_STATUS_FOUND);
  g_assert_true (g_str_has_suffix (
      soup_message_headers_get_one (soup_message_get_response_headers (message), "Location"),
      "/?flow=whep&token=x"));
  page = request (fixture, "GET", "/?flow=whep", NULL, NULL, NULL, &page_message);
  g_assert_cmpuint (soup_message_get_status (page_message), ==, SOUP_STATUS_OK);
  g_assert_true (g_str_has_prefix (soup_message_headers_get_content_type (
                                       soup_message_get_response_headers (page_message), NULL),
                                   "text/html"));
  g_assert_true (g_str_has_prefix (page, "<!doctype html>"));
  g_assert_nonnull (strstr (page, "'/whep'"));
}

/* --- sessions ----------------------------------------------------------------------------- */
/* Not under valgrind (vsa_test_skipped_under_valgrind): these tests post at once, so the
 * process's DTLS key, made ahead on listen, is still on the first session's critical
 * path, and under valgrind that outlasts the session's 5 s wait for video. */

/* A WHEP answer: 201, application/sdp, sendonly video (with candidates unless the offer
 * had none: then the client trickles, and so may the agent's answer), a Location and an
 * ETag; headers: as request_full(); the response in *out_message (may be NULL). */
static char *
post_offer_full (Fixture *fixture, const char *offer, const char *const *headers,
                 char **out_location, SoupMessage **out_message)
{
  g_autoptr (SoupMessage) message = NULL;
  g_autofree char *answer = NULL;
  g_autoptr (GstSDPMessage) sdp = NULL;
  const GstSDPMedia *media;
  SoupMessageHeaders *response;
  const char *etag;
  guint candidates = 0;

  answer
      = request_full (fixture, "POST", "/whep", "application/sdp", offer, NULL, headers, &message);
  g_assert_cmpuint (soup_message_get_status (message), ==, SOUP_STATUS_CREATED);
  response = soup_message_get_response_headers (message);
  g_assert_cmpstr (soup_message_headers_get_content_type (response, NULL), ==, "application/sdp");
  g_assert_true (g_str_has_prefix (soup_message_headers_get_one (response, "Location"), "/whep/"));
  *out_location = g_strdup (soup_message_headers_get_one (response, "Location"));
  etag = soup_message_headers_get_one (response, "ETag");
  g_assert_nonnull (etag);
  g_assert_true (etag[0] == '"' && strlen (etag) > 2 && etag[strlen (etag) - 1] == '"');

  g_assert_cmpint (gst_sdp_message_new_from_text (answer, &sdp), ==, GST_SDP_OK);
  g_assert_cmpuint (gst_sdp_message_medias_len (sdp), ==, 1);
  media = gst_sdp_message_get_media (sdp, 0);
  g_assert_cmpstr (gst_sdp_media_get_media (media), ==, "video");
  g_assert_nonnull (gst_sdp_media_get_attribute_val (media, "sendonly"));
  for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++)
    candidates += g_strcmp0 (gst_sdp_media_get_attribute (media, i)->key, "candidate") == 0;
  g_assert_cmpuint (candidates, >=, 1);
  if (out_message != NULL)
    *out_message = g_steal_pointer (&message);
  return g_steal_pointer (&answer);
}

static char *
post_offer (Fixture *fixture, const char *offer, char **out_location)
{
  return post_offer_full (fixture, offer, NULL, out_location, NULL);
}

/* The value of the first "a=<attribute>:" line of sdp. */
static char *
sdp_attribute (const char *sdp, const char *attribute)
{
  g_autofree char *prefix = g_strdup_printf ("a=%s:", attribute);
  const char *start = strstr (sdp, prefix);

  g_assert_nonnull (start);
  start += strlen (prefix);
  return g_strndup (start, strcspn (start, "\r\n"));
}

/* sdp without its candidate lines: an offer sent before gathering, or an answer whose
 * candidates the client never learns. *out_candidates (may be NULL) gets them. */
static char *
strip_candidates (const char *sdp, char **out_candidates)
{
  g_auto (GStrv) lines = g_strsplit (sdp, "\r\n", -1);
  g_autoptr (GString) kept = g_string_new (NULL);
  g_autoptr (GString) candidates = g_string_new (NULL);

  for (guint i = 0; lines[i] != NULL && *lines[i] != '\0'; i++)
    {
      if (g_str_has_prefix (lines[i], "a=candidate:"))
        g_string_append_printf (candidates, "%s\r\n", lines[i]);
      else if (!g_str_has_prefix (lines[i], "a=end-of-candidates"))
        g_string_append_printf (kept, "%s\r\n", lines[i]);
    }
  if (out_candidates != NULL)
    *out_candidates = g_strdup (candidates->str);
  return g_strdup (kept->str);
}

/* A trickle fragment for offer's ICE session, as medooze's whip-whep client writes one
 * (with a=end-of-candidates when end). */
static char *
sdpfrag_for (const char *offer, const char *candidates, gboolean end)
{
  g_autofree char *ufrag = sdp_attribute (offer, "ice-ufrag");
  g_autofree char *pwd = sdp_attribute (offer, "ice-pwd");
  g_autofree char *mid = sdp_attribute (offer, "mid");

  return g_strdup_printf ("a=ice-ufrag:%s\r\na=ice-pwd:%s\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\n"
                          "a=mid:%s\r\n%s%s",
                          ufrag, pwd, mid, candidates, end ? "a=end-of-candidates\r\n" : "");
}

static guint
patch_status (Fixture *fixture, const char *location, const char *content_type, const char *body,
              const char *if_match)
{
  const char *const headers[] = { "If-Match", if_match, NULL };
  g_autoptr (SoupMessage) message = NULL;

  g_free (request_full (fixture, "PATCH", location, content_type, body, NULL,
                        if_match != NULL ? headers : NULL, &message));
  return soup_message_get_status (message);
}

static void
test_session_recorded (Fixture *fixture, gconstpointer data)
{
  g_autofree char *offer = read_recorded_offer ("chromium-viewer-offer.json");
  g_autofree char *location = NULL;
  g_autofree char *answer = NULL;

  if (vsa_test_skipped_under_valgrind ())
    return;
  answer = post_offer (fixture, offer, &location);
  g_assert_true (has_session (fixture));
  g_assert_cmpuint (host_stats (fixture).sessions_answered, ==, 1);
  g_assert_cmpfloat (host_stats (fixture).last_offer_to_answer_s, >=, 0);
  g_assert_cmpuint (status_of (fixture, "DELETE", location, NULL, NULL, NULL, NULL), ==,
                    SOUP_STATUS_OK);
  g_assert_false (has_session (fixture));
  /* the client had its answer: ended, not failed */
  g_assert_cmpuint (host_stats (fixture).sessions_ended[VSA_END_REASON_CLIENT_LEFT], ==, 1);
  g_assert_cmpuint (host_stats (fixture).sessions_failed[VSA_END_REASON_CLIENT_LEFT], ==, 0);
  g_assert_cmpuint (status_of (fixture, "DELETE", location, NULL, NULL, NULL, NULL), ==,
                    SOUP_STATUS_NOT_FOUND);
}

/* A second POST replaces the session: the first Location is gone. */
static void
test_session_replaced (Fixture *fixture, gconstpointer data)
{
  g_autofree char *offer = read_recorded_offer ("firefox-viewer-offer.json");
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *answer1 = NULL;
  g_autofree char *answer2 = NULL;

  if (vsa_test_skipped_under_valgrind ())
    return;
  answer1 = post_offer (fixture, offer, &first);
  answer2 = post_offer (fixture, offer, &second);
  g_assert_cmpstr (first, !=, second);
  g_assert_cmpuint (status_of (fixture, "DELETE", first, NULL, NULL, NULL, NULL), ==,
                    SOUP_STATUS_NOT_FOUND);
  g_assert_cmpuint (status_of (fixture, "DELETE", second, NULL, NULL, NULL, NULL), ==,
                    SOUP_STATUS_OK);
  g_assert_cmpuint (host_stats (fixture).sessions_started, ==, 2);
  g_assert_cmpuint (host_stats (fixture).sessions_ended[VSA_END_REASON_NEWER_OFFER], ==, 1);
}

static void
test_session_peer (Fixture *fixture, gconstpointer data)
{
  g_autoptr (VsaTestPeer) peer = NULL;
  g_autofree char *offer = NULL;
  g_autofree char *location = NULL;
  g_autofree char *answer = NULL;
  g_autoptr (VsaMetrics) metrics = NULL;
  g_autofree char *url = NULL;
  g_autofree char *scrape = NULL;
  g_autoptr (SoupMessage) message = NULL;
  g_autoptr (GError) error = NULL;

  if (vsa_test_skipped_under_valgrind ())
    return;
  /* standalone mode's metrics, as main.c serves them */
  metrics = vsa_metrics_new (vsa_whep_get_host (fixture->whep));
  g_assert_true (vsa_metrics_listen (metrics, "127.0.0.1", 0, &error));
  peer = vsa_test_peer_new (VP8_CAPS);
  offer = vsa_test_peer_dup_offer_sdp (peer);
  answer = post_offer (fixture, offer, &location);
  vsa_test_peer_apply_answer_sdp (peer, answer);
  g_assert_true (vsa_test_wait_until (vsa_test_peer_has_frames, peer, 20000));

  url = g_strdup_printf ("http://127.0.0.1:%u/metrics", vsa_metrics_get_port (metrics));
  message = soup_message_new ("GET", url);
  scrape = vsa_test_http_send (fixture->session, message, 20000);
  g_assert_nonnull (strstr (scrape, "vm_stream_agent_sessions_streamed_total 1\n"));
  g_assert_nonnull (strstr (scrape, "vm_stream_agent_state{state=\"streaming\"} 1\n"));
  g_assert_nonnull (strstr (scrape, "encoder_info{encoder=\"vp8enc\",codec=\"VP8\"} 1\n"));

  g_assert_cmpuint (status_of (fixture, "DELETE", location, NULL, NULL, NULL, NULL), ==,
                    SOUP_STATUS_OK);
}

/* PATCH on a session (RFC 9725 section 4.3): candidates taken (204), with or without the
 * ETag; a wrong ETag 412; an ICE restart, asked by If-Match: * or by new credentials,
 * 422; another type 415; an unreadable fragment 400. */
static void
test_session_patch (Fixture *fixture, gconstpointer data)
{
  g_autofree char *offer = read_recorded_offer ("chromium-viewer-offer.json");
  g_autoptr (SoupMessage) message = NULL;
  g_autofree char *location = NULL;
  g_autofree char *answer = NULL;
  g_autofree char *frag = NULL;
  g_autofree char *restart = NULL;
  const char *etag;
  const char *const type = "application/trickle-ice-sdpfrag";

  if (vsa_test_skipped_under_valgrind ())
    return;
  answer = post_offer_full (fixture, offer, NULL, &location, &message);
  etag = response_header (message, "ETag");
  frag = sdpfrag_for (offer, "a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host\r\n", FALSE);
  g_assert_cmpuint (patch_status (fixture, location, type, frag, NULL), ==, SOUP_STATUS_NO_CONTENT);
  g_assert_cmpuint (patch_status (fixture, location, type, frag, etag), ==, SOUP_STATUS_NO_CONTENT);
  g_assert_cmpuint (patch_status (fixture, location, type, frag, "\"other\""), ==,
                    SOUP_STATUS_PRECONDITION_FAILED);
  g_assert_cmpuint (patch_status (fixture, location, type, frag, "*"), ==,
                    SOUP_STATUS_UNPROCESSABLE_ENTITY);
  restart = g_strdup_printf ("a=ice-ufrag:n3w\r\na=ice-pwd:n3wpassw0rdn3wpassw0rd\r\n%s",
                             strstr (frag, "m=video"));
  g_assert_cmpuint (patch_status (fixture, location, type, restart, NULL), ==,
                    SOUP_STATUS_UNPROCESSABLE_ENTITY);
  g_assert_cmpuint (patch_status (fixture, location, "application/sdp", frag, NULL), ==,
                    SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE);
  g_assert_cmpuint (patch_status (fixture, location, type, "a=candidate:1 1 udp\r\n", NULL), ==,
                    SOUP_STATUS_BAD_REQUEST);
  g_assert_cmpuint (patch_status (fixture, location, type, "hello", NULL), ==,
                    SOUP_STATUS_BAD_REQUEST);
  /* none of that ended the session */
  g_assert_true (has_session (fixture));
  g_assert_cmpuint (status_of (fixture, "DELETE", location, NULL, NULL, NULL, NULL), ==,
                    SOUP_STATUS_OK);
}

/* The configured ICE servers on the 201, one Link each (RFC 9725 section 4.6), and the
 * CORS headers a player on another origin needs to read Location, Link and ETag. */
static void
test_session_links (Fixture *fixture, gconstpointer data)
{
  g_autofree char *offer = read_recorded_offer ("firefox-viewer-offer.json");
  const char *const origin[] = { "Origin", ORIGIN, NULL };
  g_autoptr (SoupMessage) message = NULL;
  g_autofree char *location = NULL;
  g_autofree char *answer = NULL;
  const char *links;

  if (vsa_test_skipped_under_valgrind ())
    return;
  answer = post_offer_full (fixture, offer, origin, &location, &message);
  links = soup_message_headers_get_list (soup_message_get_response_headers (message), "Link");
  g_assert_nonnull (strstr (links, "<" STUN_URL ">; rel=\"ice-server\""));
  g_assert_nonnull (strstr (links, "<" TURN_URL ">; rel=\"ice-server\"; username=\"user\""));
  g_assert_cmpstr (response_header (message, "Access-Control-Allow-Origin"), ==, ORIGIN);
  g_assert_cmpstr (response_header (message, "Access-Control-Expose-Headers"), ==,
                   "Location, Link, ETag");
}

/* What each webrtcbin hands its ICE agent (its log lines, from its own thread), by its
 * name: the agent's is "webrtc". */
static GMutex ice_log_lock;
static GString *ice_log;

static void
on_webrtcbin_log (GstDebugCategory *category, GstDebugLevel level, const char *file,
                  const char *function, gint line, GObject *object, GstDebugMessage *message,
                  gpointer data)
{
  if (g_strcmp0 (gst_debug_category_get_name (category), "webrtcbin") != 0
      || g_strcmp0 (function, "_add_ice_candidate") != 0)
    return;
  g_mutex_lock (&ice_log_lock);
  g_string_append_printf (ice_log, "%s: %s\n", GST_OBJECT_NAME (object),
                          gst_debug_message_get (message));
  g_mutex_unlock (&ice_log_lock);
}

/* Trickle for real: the peer's offer goes without candidates, which follow by PATCH with
 * a=end-of-candidates, and the peer never learns the agent's (they are cut from the
 * answer). ICE can only connect through the PATCHed candidates: the agent checks them,
 * the peer learns the agent's address from those checks. webrtcbin has the end of
 * candidates as an empty one on the bundle's m-line (libnice 0.1.21 notes it and, since
 * 0.1.17, does not act on it: nothing else shows it). */
static void
test_session_trickle (Fixture *fixture, gconstpointer data)
{
  g_autoptr (VsaTestPeer) peer = NULL;
  g_autofree char *full_offer = NULL;
  g_autofree char *offer = NULL;
  g_autofree char *candidates = NULL;
  g_autofree char *frag = NULL;
  g_autofree char *location = NULL;
  g_autofree char *answer = NULL;
  g_autofree char *bare_answer = NULL;

  if (vsa_test_skipped_under_valgrind ())
    return;
  ice_log = g_string_new (NULL);
  gst_debug_set_threshold_for_name ("webrtcbin", GST_LEVEL_LOG);
  gst_debug_remove_log_function (gst_debug_log_default);
  gst_debug_add_log_function (on_webrtcbin_log, NULL, NULL);
  peer = vsa_test_peer_new (VP8_CAPS);
  full_offer = vsa_test_peer_dup_offer_sdp (peer);
  offer = strip_candidates (full_offer, &candidates);
  g_assert_cmpstr (candidates, !=, "");
  answer = post_offer (fixture, offer, &location);
  frag = sdpfrag_for (full_offer, candidates, TRUE);
  g_assert_cmpuint (patch_status (fixture, location, "application/trickle-ice-sdpfrag", frag, NULL),
                    ==, SOUP_STATUS_NO_CONTENT);
  bare_answer = strip_candidates (answer, NULL);
  vsa_test_peer_apply_answer_sdp (peer, bare_answer);
  g_assert_true (vsa_test_wait_until (vsa_test_peer_has_frames, peer, 20000));
  g_assert_cmpuint (status_of (fixture, "DELETE", location, NULL, NULL, NULL, NULL), ==,
                    SOUP_STATUS_OK);

  gst_debug_remove_log_function (on_webrtcbin_log);
  gst_debug_add_log_function (gst_debug_log_default, NULL, NULL);
  gst_debug_set_threshold_for_name ("webrtcbin", GST_LEVEL_NONE);
  g_mutex_lock (&ice_log_lock);
  g_test_message ("webrtcbin: %s", ice_log->str);
  g_assert_nonnull (strstr (ice_log->str, "webrtc: adding ICE candidate with mline:0, (null)"));
  g_assert_null (strstr (ice_log->str, "Unknown mline"));
  g_mutex_unlock (&ice_log_lock);
  g_string_free (ice_log, TRUE);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/vsa/whep/http/refusals", Fixture, &plain, fixture_set_up, test_http_refusals,
              fixture_tear_down);
  g_test_add ("/vsa/whep/http/token", Fixture, &with_token, fixture_set_up, test_http_token,
              fixture_tear_down);
  g_test_add ("/vsa/whep/http/methods", Fixture, &plain, fixture_set_up, test_http_methods,
              fixture_tear_down);
  g_test_add ("/vsa/whep/http/cors", Fixture, &with_cors, fixture_set_up, test_http_cors,
              fixture_tear_down);
  g_test_add ("/vsa/whep/http/cors-any", Fixture, &with_cors_any, fixture_set_up,
              test_http_cors_any, fixture_tear_down);
  g_test_add ("/vsa/whep/http/ice-links", Fixture, &with_all, fixture_set_up, test_http_ice_links,
              fixture_tear_down);
  g_test_add ("/vsa/whep/http/page", Fixture, &plain, fixture_set_up, test_http_page,
              fixture_tear_down);
  g_test_add ("/vsa/whep/session/recorded-offer", Fixture, &plain, fixture_set_up,
              test_session_recorded, fixture_tear_down);
  g_test_add ("/vsa/whep/session/replaced", Fixture, &plain, fixture_set_up, test_session_replaced,
              fixture_tear_down);
  g_test_add ("/vsa/whep/session/peer", Fixture, &plain, fixture_set_up, test_session_peer,
              fixture_tear_down);
  g_test_add ("/vsa/whep/session/patch", Fixture, &plain, fixture_set_up, test_session_patch,
              fixture_tear_down);
  g_test_add ("/vsa/whep/session/links", Fixture, &with_ice, fixture_set_up, test_session_links,
              fixture_tear_down);
  g_test_add ("/vsa/whep/session/trickle", Fixture, &with_cors, fixture_set_up,
              test_session_trickle, fixture_tear_down);
  return g_test_run ();
}
