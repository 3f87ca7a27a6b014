/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* VsaSessionHost with an in-process peer as the browser and the test as the transport:
 * the states and status lines of a session's life, the answer handed over, and what the
 * host counts for each way a session ends. */
#include <gst/gst.h>

#include "vsa-process.h"
#include "vsa-session-host.h"
#include "vsa-test-peer.h"
#include "vsa-test-util.h"

#define VP8_CAPS "application/x-rtp,media=video,encoding-name=VP8,payload=120,clock-rate=90000"

typedef struct
{
  VsaConfig *config;
  VsaSessionHost *host;
  VsaTestPeer *peer;
  GArray *states; /* "state-changed", in order */
  char *answer;   /* "answer-ready"'s SDP */
} Fixture;

static void
on_state_changed (VsaSessionHost *host, int state, Fixture *fixture)
{
  g_array_append_val (fixture->states, state);
}

static void
on_answer_ready (VsaSessionHost *host, const char *sdp, GPtrArray *candidates, Fixture *fixture)
{
  g_assert_null (fixture->answer);
  g_assert_cmpuint (candidates->len, >=, 1);
  fixture->answer = g_strdup (sdp);
}

static void
fixture_set_up (Fixture *fixture, gconstpointer data)
{
  fixture->config = vsa_config_new ();
  fixture->config->source = VSA_SOURCE_TEST;
  g_strfreev (fixture->config->codecs);
  fixture->config->codecs = g_strsplit ("vp8", ",", -1);
  if (vsa_test_timeout_multiplier () > 1)
    fixture->config->fps = 10; /* a slow run (valgrind): see test-agent.c */
  fixture->states = g_array_new (FALSE, FALSE, sizeof (int));
  fixture->host = vsa_session_host_new (fixture->config, "host");
  g_signal_connect (fixture->host, "state-changed", G_CALLBACK (on_state_changed), fixture);
  g_signal_connect (fixture->host, "answer-ready", G_CALLBACK (on_answer_ready), fixture);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer data)
{
  g_clear_object (&fixture->host);
  g_clear_pointer (&fixture->peer, vsa_test_peer_free);
  g_clear_pointer (&fixture->config, vsa_config_free);
  g_array_unref (fixture->states);
  g_free (fixture->answer);
}

static VsaSessionHostStats
stats_of (Fixture *fixture)
{
  VsaSessionHostStats stats;

  vsa_session_host_get_stats (fixture->host, &stats);
  return stats;
}

static void
assert_states (Fixture *fixture, const int *expected, guint n_expected)
{
  g_assert_cmpmem (fixture->states->data, fixture->states->len * sizeof (int), expected,
                   n_expected * sizeof (int));
}

static gboolean
answered (gpointer data)
{
  return ((Fixture *) data)->answer != NULL;
}

static gboolean
waiting (gpointer data)
{
  return vsa_session_host_get_state (((Fixture *) data)->host) == VSA_SESSION_HOST_WAITING;
}

static gboolean
streaming (gpointer data)
{
  return vsa_session_host_get_state (((Fixture *) data)->host) == VSA_SESSION_HOST_STREAMING;
}

/* A new peer's offer taken up and started as a transport does: begin, choose, start. The
 * peer is made here, after a test's skip: one freed at once fails its own offer. */
static void
start_session (Fixture *fixture, guint payload_type)
{
  g_autofree char *offer = NULL;
  g_autoptr (GstSDPMessage) sdp = NULL;
  g_autoptr (GError) error = NULL;
  VsaCodecChoice *choice;

  g_clear_pointer (&fixture->peer, vsa_test_peer_free);
  g_clear_pointer (&fixture->answer, g_free);
  fixture->peer = vsa_test_peer_new (VP8_CAPS);
  offer = vsa_test_peer_dup_offer_sdp (fixture->peer);
  vsa_session_host_begin (fixture->host, offer);
  g_assert_cmpint (vsa_session_host_get_state (fixture->host), ==, VSA_SESSION_HOST_NEGOTIATING);
  g_assert_cmpstr (vsa_session_host_get_status (fixture->host), ==, "negotiating: offer received");
  g_assert_nonnull (vsa_session_host_get_offer_id (fixture->host));
  choice
      = vsa_codec_choose_offer (offer, (const char *const *) fixture->config->codecs, &sdp, &error);
  g_assert_no_error (error);
  if (payload_type != 0)
    choice->payload_type = payload_type;
  g_assert_true (vsa_session_host_start (fixture->host, sdp, choice, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (vsa_session_host_get_codec (fixture->host), ==, "VP8");
}

/* Offer → answer → stored → streaming → ended by the transport: the states in order, the
 * status at each step, and the counts (an answered session that ends did not fail). */
static void
test_stream (Fixture *fixture, gconstpointer data)
{
  static const int expected[] = { VSA_SESSION_HOST_NEGOTIATING, VSA_SESSION_HOST_STREAMING,
                                  VSA_SESSION_HOST_ENDED, VSA_SESSION_HOST_WAITING };
  VsaSessionHostStats stats;

  /* the DTLS key is still on the first session's path: see test-whep.c */
  if (vsa_test_skipped_under_valgrind ())
    return;
  g_assert_cmpstr (vsa_session_host_get_status (fixture->host), ==, "waiting for an offer");
  start_session (fixture, 0);
  g_assert_cmpstr (vsa_session_host_get_status (fixture->host), ==,
                   "negotiating: answering with VP8, payload type 120");
  g_assert_true (vsa_test_wait_until (answered, fixture, 20000));
  vsa_session_host_answer_stored (fixture->host);
  g_assert_cmpstr (vsa_session_host_get_status (fixture->host), ==,
                   "negotiating: answering with VP8, payload type 120, answer stored, connecting");
  vsa_test_peer_apply_answer_sdp (fixture->peer, fixture->answer);
  g_assert_true (vsa_test_wait_until (streaming, fixture, 20000));
  g_assert_true (vsa_test_wait_until (vsa_test_peer_has_frames, fixture->peer, 20000));
  g_assert_true (g_str_has_prefix (vsa_session_host_get_status (fixture->host), "streaming "));

  stats = stats_of (fixture);
  g_assert_cmpuint (stats.sessions_started, ==, 1);
  g_assert_cmpuint (stats.sessions_answered, ==, 1);
  g_assert_cmpuint (stats.sessions_streamed, ==, 1);
  g_assert_cmpuint (stats.offer_to_answer_count, ==, 1);
  g_assert_cmpfloat (stats.last_offer_to_answer_s, >=, 0);
  g_assert_cmpstr (stats.codec, ==, "VP8");
  g_assert_cmpuint (stats.frames_sent, >=, 1);

  vsa_session_host_end (fixture->host, VSA_END_REASON_CLIENT_LEFT, "the client left");
  assert_states (fixture, expected, G_N_ELEMENTS (expected));
  g_assert_null (vsa_session_host_get_session (fixture->host));
  g_assert_null (vsa_session_host_get_offer_id (fixture->host));
  g_assert_cmpstr (vsa_session_host_get_status (fixture->host), ==,
                   "waiting for an offer (last session ended: the client left)");
  stats = stats_of (fixture);
  g_assert_cmpuint (stats.sessions_ended[VSA_END_REASON_CLIENT_LEFT], ==, 1);
  g_assert_cmpuint (stats.sessions_failed[VSA_END_REASON_CLIENT_LEFT], ==, 0);
  /* the ended session's frames stay counted */
  g_assert_cmpuint (stats.frames_sent, >=, 1);
  g_assert_null (stats.codec);
}

/* A newer offer ends the negotiation in flight as replaced, not as a failure. */
static void
test_replaced (Fixture *fixture, gconstpointer data)
{
  static const int expected[] = { VSA_SESSION_HOST_NEGOTIATING, VSA_SESSION_HOST_ENDED,
                                  VSA_SESSION_HOST_WAITING, VSA_SESSION_HOST_NEGOTIATING };
  VsaSessionHostStats stats;

  if (vsa_test_skipped_under_valgrind ())
    return;
  start_session (fixture, 0);
  g_assert_true (vsa_test_wait_until (answered, fixture, 20000));
  start_session (fixture, 0);
  assert_states (fixture, expected, G_N_ELEMENTS (expected));
  stats = stats_of (fixture);
  g_assert_cmpuint (stats.sessions_started, ==, 2);
  g_assert_cmpuint (stats.sessions_ended[VSA_END_REASON_NEWER_OFFER], ==, 1);
  g_assert_cmpuint (stats.sessions_failed[VSA_END_REASON_NEWER_OFFER], ==, 0);
  g_assert_nonnull (vsa_session_host_get_session (fixture->host));
}

/* A transport ending an offer it could not use: a failure, logged as a warning. */
static void
test_offer_unusable (Fixture *fixture, gconstpointer data)
{
  VsaSessionHostStats stats;
  VsaEndReason kind;

  vsa_session_host_begin (fixture->host, "v=0\r\no=- 42 2 IN IP4 127.0.0.1\r\n");
  g_test_expect_message (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING,
                         "session host: ended: offer not answered: no video");
  vsa_session_host_end (fixture->host, VSA_END_REASON_OFFER_UNUSABLE,
                        "offer not answered: no video");
  g_test_assert_expected_messages ();
  stats = stats_of (fixture);
  g_assert_cmpuint (stats.sessions_ended[VSA_END_REASON_OFFER_UNUSABLE], ==, 1);
  g_assert_cmpuint (stats.sessions_failed[VSA_END_REASON_OFFER_UNUSABLE], ==, 1);
  g_assert_cmpstr (vsa_session_host_get_last_end (fixture->host, &kind), ==,
                   "offer not answered: no video");
  g_assert_cmpint (kind, ==, VSA_END_REASON_OFFER_UNUSABLE);
  /* nothing to end while waiting */
  vsa_session_host_end (fixture->host, VSA_END_REASON_CLIENT_LEFT, "again");
  g_assert_cmpuint (stats_of (fixture).sessions_ended[VSA_END_REASON_CLIENT_LEFT], ==, 0);
}

/* A session that ends itself before its answer was stored: the host says so and counts
 * it failed under the session's own reason. */
static void
test_session_failed (Fixture *fixture, gconstpointer data)
{
  const char *reason;
  VsaEndReason kind;

  /* a payload type the offer does not have: webrtcbin cannot answer with our video */
  start_session (fixture, 121);
  g_test_expect_message (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING,
                         "session host: ended: *before the answer was stored");
  g_assert_true (vsa_test_wait_until (waiting, fixture, 20000));
  g_test_assert_expected_messages ();
  reason = vsa_session_host_get_last_end (fixture->host, &kind);
  g_assert_cmpint (kind, ==, VSA_END_REASON_WEBRTC_ERROR);
  g_assert_true (g_str_has_suffix (reason, " before the answer was stored"));
  g_assert_cmpuint (stats_of (fixture).sessions_failed[VSA_END_REASON_WEBRTC_ERROR], ==, 1);
  g_assert_null (fixture->answer);
}

int
main (int argc, char **argv)
{
  int status;

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  vsa_process_prepare ();
  g_test_add ("/vsa/session-host/stream", Fixture, NULL, fixture_set_up, test_stream,
              fixture_tear_down);
  g_test_add ("/vsa/session-host/replaced", Fixture, NULL, fixture_set_up, test_replaced,
              fixture_tear_down);
  g_test_add ("/vsa/session-host/offer-unusable", Fixture, NULL, fixture_set_up,
              test_offer_unusable, fixture_tear_down);
  g_test_add ("/vsa/session-host/session-failed", Fixture, NULL, fixture_set_up,
              test_session_failed, fixture_tear_down);
  status = g_test_run ();
  /* an exit while the DTLS key is made crashes in OpenSSL's exit handlers */
  vsa_process_prepare_wait ();
  return status;
}
