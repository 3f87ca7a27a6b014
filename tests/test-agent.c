/* The agent against a fake controller and an in-process webrtcbin playing the browser. */
#include <gst/gst.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>
#include <json-glib/json-glib.h>

#include "vsa-agent.h"
#include "vsa-test-controller.h"
#include "vsa-test-util.h"

#define SESSION "integration"

/* A receiving peer: recvonly video, decodes and counts frames. */
typedef struct
{
  GstElement *pipeline;
  GstElement *webrtc;
  GMutex lock;
  char *offer_sdp; /* set once gathering completed */
  gboolean gathered;
  gint frames;
} Peer;

static void
on_handoff (GstElement *sink, GstBuffer *buffer, GstPad *pad, Peer *peer)
{
  g_atomic_int_inc (&peer->frames);
}

static void
on_decoded_pad (GstElement *decodebin, GstPad *pad, Peer *peer)
{
  GstElement *sink
      = gst_element_factory_make_full ("fakesink", "signal-handoffs", TRUE, "sync", FALSE, NULL);
  g_autoptr (GstPad) sink_pad = gst_element_get_static_pad (sink, "sink");

  g_signal_connect (sink, "handoff", G_CALLBACK (on_handoff), peer);
  gst_bin_add (GST_BIN (peer->pipeline), sink);
  gst_element_sync_state_with_parent (sink);
  gst_pad_link (pad, sink_pad);
}

static void
on_incoming_pad (GstElement *webrtc, GstPad *pad, Peer *peer)
{
  GstElement *decodebin;
  g_autoptr (GstPad) sink_pad = NULL;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  decodebin = gst_element_factory_make ("decodebin", NULL);
  g_signal_connect (decodebin, "pad-added", G_CALLBACK (on_decoded_pad), peer);
  gst_bin_add (GST_BIN (peer->pipeline), decodebin);
  gst_element_sync_state_with_parent (decodebin);
  sink_pad = gst_element_get_static_pad (decodebin, "sink");
  gst_pad_link (pad, sink_pad);
}

static void
on_gathering_state (GstElement *webrtc, GParamSpec *pspec, Peer *peer)
{
  GstWebRTCICEGatheringState state;
  GstWebRTCSessionDescription *local = NULL;

  g_object_get (webrtc, "ice-gathering-state", &state, NULL);
  if (state != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
    return;
  /* the local description now carries every candidate, as a browser's early offer does */
  g_object_get (webrtc, "local-description", &local, NULL);
  g_mutex_lock (&peer->lock);
  peer->offer_sdp = gst_sdp_message_as_text (local->sdp);
  peer->gathered = TRUE;
  g_mutex_unlock (&peer->lock);
  gst_webrtc_session_description_free (local);
}

static void
on_offer_created (GstPromise *promise, gpointer data)
{
  Peer *peer = data;
  GstWebRTCSessionDescription *offer = NULL;

  g_assert_cmpint (gst_promise_wait (promise), ==, GST_PROMISE_RESULT_REPLIED);
  gst_structure_get (gst_promise_get_reply (promise), "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION,
                     &offer, NULL);
  gst_promise_unref (promise);
  g_assert_nonnull (offer);
  g_signal_emit_by_name (peer->webrtc, "set-local-description", offer, NULL);
  gst_webrtc_session_description_free (offer);
}

static Peer *
peer_new (const char *codec_caps)
{
  Peer *peer = g_new0 (Peer, 1);
  g_autoptr (GstCaps) caps = gst_caps_from_string (codec_caps);
  GstWebRTCRTPTransceiver *transceiver = NULL;

  g_mutex_init (&peer->lock);
  peer->pipeline = gst_pipeline_new (NULL);
  peer->webrtc = gst_element_factory_make_full ("webrtcbin", "bundle-policy",
                                                GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, NULL);
  gst_bin_add (GST_BIN (peer->pipeline), peer->webrtc);
  g_signal_connect (peer->webrtc, "pad-added", G_CALLBACK (on_incoming_pad), peer);
  g_signal_connect (peer->webrtc, "notify::ice-gathering-state", G_CALLBACK (on_gathering_state),
                    peer);
  g_signal_emit_by_name (peer->webrtc, "add-transceiver",
                         GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps, &transceiver);
  g_clear_object (&transceiver);
  g_assert_cmpint (gst_element_set_state (peer->pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
  g_signal_emit_by_name (peer->webrtc, "create-offer", NULL,
                         gst_promise_new_with_change_func (on_offer_created, peer, NULL));
  return peer;
}

static void
peer_free (Peer *peer)
{
  gst_element_set_state (peer->pipeline, GST_STATE_NULL);
  gst_object_unref (peer->pipeline);
  g_free (peer->offer_sdp);
  g_mutex_clear (&peer->lock);
  g_free (peer);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Peer, peer_free)

static gboolean
peer_gathered (gpointer data)
{
  Peer *peer = data;
  gboolean gathered;

  g_mutex_lock (&peer->lock);
  gathered = peer->gathered;
  g_mutex_unlock (&peer->lock);
  return gathered;
}

static gboolean
peer_has_frames (gpointer data)
{
  return g_atomic_int_get (&((Peer *) data)->frames) >= 30;
}

/* Stores the peer's offer with its candidates bundled in the SDP, as the early-offer flow. */
static void
store_offer (VsaTestController *controller, Peer *peer)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *body = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (vsa_test_wait_until (peer_gathered, peer, 10000));
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "offer");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "offer");
  json_builder_set_member_name (builder, "sdp");
  json_builder_add_string_value (builder, peer->offer_sdp);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "candidates");
  json_builder_begin_array (builder);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  body = json_to_string (root, FALSE);
  g_assert_true (vsa_test_controller_store_offer (controller, SESSION, body, &error));
  g_assert_no_error (error);
}

static gboolean
has_answer (gpointer data)
{
  return vsa_test_controller_get_answer_count (data, SESSION) > 0;
}

/* Applies the stored answer and its candidates to the peer, as the browser does. */
static void
apply_answer (VsaTestController *controller, Peer *peer)
{
  g_autofree char *answer_json = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  GstSDPMessage *sdp = NULL;
  GstWebRTCSessionDescription *answer;
  JsonObject *root;
  JsonArray *candidates;
  const char *sdp_text;

  g_assert_true (vsa_test_wait_until (has_answer, controller, 10000));
  answer_json = vsa_test_controller_dup_answer (controller, SESSION);
  g_assert_true (json_parser_load_from_data (parser, answer_json, -1, &error));
  root = json_node_get_object (json_parser_get_root (parser));
  sdp_text = json_object_get_string_member (json_object_get_object_member (root, "answer"), "sdp");
  g_assert_nonnull (strstr (sdp_text, "a=sendonly"));

  g_assert_cmpint (gst_sdp_message_new_from_text (sdp_text, &sdp), ==, GST_SDP_OK);
  answer = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_ANSWER, sdp);
  g_signal_emit_by_name (peer->webrtc, "set-remote-description", answer, NULL);
  gst_webrtc_session_description_free (answer);

  candidates = json_object_get_array_member (root, "candidates");
  for (guint i = 0; i < json_array_get_length (candidates); i++)
    {
      JsonObject *candidate = json_array_get_object_element (candidates, i);

      g_signal_emit_by_name (peer->webrtc, "add-ice-candidate",
                             (guint) json_object_get_int_member (candidate, "sdpMLineIndex"),
                             json_object_get_string_member (candidate, "candidate"));
    }
}

static VsaConfig *
test_config (VsaTestController *controller, const char *codecs)
{
  VsaConfig *config = vsa_config_new ();

  config->session_id = g_strdup (SESSION);
  config->controller_url = vsa_test_controller_get_url (controller);
  config->source = VSA_SOURCE_TEST;
  g_strfreev (config->codecs);
  config->codecs = g_strsplit (codecs, ",", -1);
  config->verbose = g_test_verbose ();
  return config;
}

static void
test_answer_and_replace (gconstpointer data)
{
  const char *caps = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaTestController) controller = vsa_test_controller_new ("127.0.0.1", 0, NULL, &error);
  g_autoptr (VsaConfig) config = NULL;
  g_autoptr (VsaAgent) agent = NULL;
  g_autoptr (Peer) first = NULL;
  g_autoptr (Peer) second = NULL;

  g_assert_no_error (error);
  config = test_config (controller, "h264,vp8,vp9");
  agent = vsa_agent_new (config);
  vsa_agent_start (agent);

  first = peer_new (caps);
  store_offer (controller, first);
  apply_answer (controller, first);
  g_assert_true (vsa_test_wait_until (peer_has_frames, first, 20000));
  g_assert_cmpint (vsa_agent_get_state (agent), ==, VSA_AGENT_STATE_STREAMING);
  g_assert_cmpuint (vsa_agent_get_answered_count (agent), ==, 1);

  /* a new offer replaces the first while it streams */
  second = peer_new (caps);
  store_offer (controller, second);
  apply_answer (controller, second);
  g_assert_true (vsa_test_wait_until (peer_has_frames, second, 20000));
  g_assert_cmpuint (vsa_agent_get_answered_count (agent), ==, 2);
  g_assert_cmpuint (vsa_test_controller_get_answer_count (controller, SESSION), ==, 1);

  vsa_agent_stop (agent);
}

typedef struct
{
  VsaTestController *controller;
  guint target;
} PollWait;

static gboolean
offer_polled (gpointer data)
{
  PollWait *wait = data;

  return vsa_test_controller_get_request_count (wait->controller, "GET", "/offer") >= wait->target;
}

static void
collect_warning (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
  g_test_message ("agent warning: %s", message);
  g_ptr_array_add (data, g_strdup (message));
}

/* An offer without a codec we may send gets no answer, and the next offer still does. */
static void
test_unsupported_then_valid (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaTestController) controller = vsa_test_controller_new ("127.0.0.1", 0, NULL, &error);
  g_autoptr (VsaConfig) config = NULL;
  g_autoptr (VsaAgent) agent = NULL;
  g_autoptr (Peer) peer = NULL;
  g_autofree char *path
      = g_build_filename (g_getenv ("VSA_TEST_DATA"), "firefox-viewer-offer.json", NULL);
  g_autofree char *firefox_offer = NULL;
  PollWait wait = { controller, 0 };
  g_autoptr (GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  GLogLevelFlags old_fatal;
  guint handler;

  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &firefox_offer, NULL, &error));
  config = test_config (controller, "h264"); /* Firefox's offline offer has no H264 */
  agent = vsa_agent_new (config);
  vsa_agent_start (agent);

  /* The agent's warnings are what this test asserts, not failures (criticals still are). */
  old_fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  handler = g_log_set_handler ("vsa", G_LOG_LEVEL_WARNING, collect_warning, warnings);
  g_assert_true (vsa_test_controller_store_offer (controller, SESSION, firefox_offer, &error));
  /* two polls after the one that saw the offer: it was read and dropped */
  wait.target = vsa_test_controller_get_request_count (controller, "GET", "/offer") + 3;
  g_assert_true (vsa_test_wait_until (offer_polled, &wait, 10000));
  /* One warning naming what was offered, however often the offer was polled again. */
  g_assert_cmpuint (warnings->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (warnings, 0), ==,
                   "session " SESSION ": ended: offer not answered: the offer's video codecs "
                   "(VP8, VP9, AV1) include none of ours that are installed (preference: h264)");
  g_log_remove_handler ("vsa", handler);
  g_log_set_always_fatal (old_fatal);
  g_assert_cmpuint (vsa_test_controller_get_answer_count (controller, SESSION), ==, 0);
  g_assert_cmpint (vsa_agent_get_state (agent), ==, VSA_AGENT_STATE_WAITING);

  peer = peer_new ("application/x-rtp,media=video,encoding-name=H264,payload=102,"
                   "clock-rate=90000,packetization-mode=(string)1,profile-level-id=(string)42e01f");
  store_offer (controller, peer);
  apply_answer (controller, peer);
  g_assert_true (vsa_test_wait_until (peer_has_frames, peer, 20000));
  g_assert_cmpuint (vsa_agent_get_answered_count (agent), ==, 1);
  vsa_agent_stop (agent);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/vsa/agent/vp8",
                        "application/x-rtp,media=video,encoding-name=VP8,payload=120,"
                        "clock-rate=90000",
                        test_answer_and_replace);
  g_test_add_data_func ("/vsa/agent/h264",
                        "application/x-rtp,media=video,encoding-name=H264,payload=102,"
                        "clock-rate=90000,packetization-mode=(string)1,"
                        "profile-level-id=(string)42e01f",
                        test_answer_and_replace);
  g_test_add_func ("/vsa/agent/unsupported-then-valid", test_unsupported_then_valid);
  return g_test_run ();
}
