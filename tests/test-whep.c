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

typedef struct
{
  VsaConfig *config;
  VsaWhep *whep;
  SoupSession *session;
} Fixture;

static void
fixture_set_up (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fixture->config = vsa_config_new ();
  fixture->config->session_id = g_strdup ("whep");
  fixture->config->source = VSA_SOURCE_TEST;
  g_strfreev (fixture->config->codecs);
  fixture->config->codecs = g_strsplit ("vp8", ",", -1);
  if (vsa_test_timeout_multiplier () > 1)
    fixture->config->fps = 10; /* a slow run (valgrind): see test-agent.c */
  if (data != NULL)
    fixture->config->token = g_strdup (data);
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
 * session: the response body as text, the message (status, headers) in *out_message. */
static char *
request (Fixture *fixture, const char *method, const char *path, const char *content_type,
         const char *body, const char *token, SoupMessage **out_message)
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
  text = vsa_test_http_send (fixture->session, message, 20000);
  *out_message = g_steal_pointer (&message);
  return text;
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

/* A WHEP answer: 201, application/sdp, sendonly video with candidates, a Location. */
static char *
post_offer (Fixture *fixture, const char *offer, char **out_location)
{
  g_autoptr (SoupMessage) message = NULL;
  g_autofree char *answer = NULL;
  g_autoptr (GstSDPMessage) sdp = NULL;
  const GstSDPMedia *media;
  SoupMessageHeaders *headers;
  guint candidates = 0;

  answer = request (fixture, "POST", "/whep", "application/sdp", offer, NULL, &message);
  g_assert_cmpuint (soup_message_get_status (message), ==, SOUP_STATUS_CREATED);
  headers = soup_message_get_response_headers (message);
  g_assert_cmpstr (soup_message_headers_get_content_type (headers, NULL), ==, "application/sdp");
  g_assert_true (g_str_has_prefix (soup_message_headers_get_one (headers, "Location"), "/whep/"));
  *out_location = g_strdup (soup_message_headers_get_one (headers, "Location"));

  g_assert_cmpint (gst_sdp_message_new_from_text (answer, &sdp), ==, GST_SDP_OK);
  g_assert_cmpuint (gst_sdp_message_medias_len (sdp), ==, 1);
  media = gst_sdp_message_get_media (sdp, 0);
  g_assert_cmpstr (gst_sdp_media_get_media (media), ==, "video");
  g_assert_nonnull (gst_sdp_media_get_attribute_val (media, "sendonly"));
  for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++)
    candidates += g_strcmp0 (gst_sdp_media_get_attribute (media, i)->key, "candidate") == 0;
  g_assert_cmpuint (candidates, >=, 1);
  return g_steal_pointer (&answer);
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

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/vsa/whep/http/refusals", Fixture, NULL, fixture_set_up, test_http_refusals,
              fixture_tear_down);
  g_test_add ("/vsa/whep/http/token", Fixture, TOKEN, fixture_set_up, test_http_token,
              fixture_tear_down);
  g_test_add ("/vsa/whep/http/page", Fixture, NULL, fixture_set_up, test_http_page,
              fixture_tear_down);
  g_test_add ("/vsa/whep/session/recorded-offer", Fixture, NULL, fixture_set_up,
              test_session_recorded, fixture_tear_down);
  g_test_add ("/vsa/whep/session/replaced", Fixture, NULL, fixture_set_up, test_session_replaced,
              fixture_tear_down);
  g_test_add ("/vsa/whep/session/peer", Fixture, NULL, fixture_set_up, test_session_peer,
              fixture_tear_down);
  return g_test_run ();
}
