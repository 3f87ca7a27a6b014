/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An in-process webrtcbin playing the browser: a recvonly video offer, the answer
 * applied as the frontend does, frames decoded and counted. */
#include "vsa-test-peer.h"

#include <string.h>

#include <gst/rtp/rtp.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#include "vsa-test-util.h"

/* A receiving peer: recvonly video, decodes and counts frames. */
struct _VsaTestPeer
{
  GstElement *pipeline;
  GstElement *webrtc;
  GMutex lock;
  char *offer_sdp; /* set once gathering completed */
  gboolean gathered;
  gint frames;
  char *answer_sdp;
  GstWebRTCDataChannel *input; /* the "input" data channel offered, or NULL */
  GPtrArray *input_received;   /* its messages from the agent, under lock */
  guint playout_delay_id;      /* offered in codec_caps, or 0 */
  guint twcc_id;               /* the same */
  VsaTestPeerRtpCounts rtp;    /* under lock */
  /* simulated loss, under lock: the probe runs on the transport's thread */
  GRand *rand;
  double loss;
  guint64 bytes;
};

#define LOSS_SEED 20240605

/* Counts a packet and tells whether the simulated loss takes it; called with the lock. */
static gboolean
lose_packet (VsaTestPeer *peer, GstBuffer *buffer)
{
  peer->bytes += gst_buffer_get_size (buffer);
  return peer->loss > 0 && g_rand_double (peer->rand) < peer->loss;
}

/* On the transport's streaming thread, between SRTP decryption and the RTP session. */
static GstPadProbeReturn
on_incoming_rtp (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  VsaTestPeer *peer = data;
  GstPadProbeReturn ret = GST_PAD_PROBE_OK;

  g_mutex_lock (&peer->lock);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    {
      if (lose_packet (peer, GST_PAD_PROBE_INFO_BUFFER (info)))
        ret = GST_PAD_PROBE_DROP;
    }
  else
    {
      GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info);
      GstBufferList *kept = gst_buffer_list_new ();

      for (guint i = 0; i < gst_buffer_list_length (list); i++)
        if (!lose_packet (peer, gst_buffer_list_get (list, i)))
          gst_buffer_list_add (kept, gst_buffer_ref (gst_buffer_list_get (list, i)));
      gst_buffer_list_unref (list);
      GST_PAD_PROBE_INFO_DATA (info) = kept;
    }
  g_mutex_unlock (&peer->lock);
  return ret;
}

/* webrtcbin's rtpbin gets one recv_rtp_sink per transport: RTP only, decrypted. */
static void
on_rtpbin_pad (GstElement *rtpbin, GstPad *pad, VsaTestPeer *peer)
{
  if (g_str_has_prefix (GST_PAD_NAME (pad), "recv_rtp_sink_"))
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                       on_incoming_rtp, peer, NULL);
}

/* Receiver reports every second or so, as Chromium sends them for video (rtpsession's
 * default is 5 s, with AVPF a random 2.5–7.5 s). */
static void
on_element_added (GstBin *bin, GstBin *sub_bin, GstElement *element, VsaTestPeer *peer)
{
  GstElementFactory *factory = gst_element_get_factory (element);

  if (factory != NULL
      && g_strcmp0 (gst_plugin_feature_get_name (GST_PLUGIN_FEATURE (factory)), "rtpsession") == 0)
    g_object_set (element, "rtcp-min-interval", (guint64) GST_SECOND, NULL);
}

static void
count_packet (VsaTestPeer *peer, GstBuffer *buffer)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  gboolean with_extension;
  gpointer data = NULL;
  guint size = 0;
  guint8 appbits;
  gboolean zero_delay = FALSE;
  gboolean twcc = FALSE;
  guint32 ssrc;

  if (!gst_rtp_buffer_map (buffer, GST_MAP_READ, &rtp))
    return;
  ssrc = gst_rtp_buffer_get_ssrc (&rtp);
  with_extension = gst_rtp_buffer_get_extension (&rtp);
  if (peer->playout_delay_id != 0
      && (gst_rtp_buffer_get_extension_onebyte_header (&rtp, peer->playout_delay_id, 0, &data,
                                                       &size)
          || gst_rtp_buffer_get_extension_twobytes_header (&rtp, &appbits, peer->playout_delay_id,
                                                           0, &data, &size)))
    zero_delay = size == 3 && memcmp (data, "\0\0\0", 3) == 0;
  /* the agent sends it in one-byte headers only */
  if (peer->twcc_id != 0)
    twcc = gst_rtp_buffer_get_extension_onebyte_header (&rtp, peer->twcc_id, 0, &data, &size)
           && size == 2;
  gst_rtp_buffer_unmap (&rtp);

  g_mutex_lock (&peer->lock);
  peer->rtp.packets++;
  peer->rtp.with_extension += with_extension;
  peer->rtp.zero_playout_delay += zero_delay;
  peer->rtp.with_twcc += twcc;
  peer->rtp.ssrc = ssrc;
  g_mutex_unlock (&peer->lock);
}

static gboolean
count_listed_packet (GstBuffer **buffer, guint idx, gpointer peer)
{
  count_packet (peer, *buffer);
  return TRUE;
}

static GstPadProbeReturn
on_rtp (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  VsaTestPeer *peer = data;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    count_packet (peer, GST_PAD_PROBE_INFO_BUFFER (info));
  else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    gst_buffer_list_foreach (GST_PAD_PROBE_INFO_BUFFER_LIST (info), count_listed_packet, peer);
  return GST_PAD_PROBE_OK;
}

/* The id of an "extmap-<id>" field of @caps naming @uri, or 0. */
static guint
offered_extmap_id (const GstCaps *caps, const char *uri)
{
  const GstStructure *structure = gst_caps_get_structure (caps, 0);

  for (int i = 0; i < gst_structure_n_fields (structure); i++)
    {
      const char *name = gst_structure_nth_field_name (structure, i);
      const GValue *value = gst_structure_get_value (structure, name);

      if (!g_str_has_prefix (name, "extmap-"))
        continue;
      if (GST_VALUE_HOLDS_ARRAY (value) && gst_value_array_get_size (value) == 3)
        value = gst_value_array_get_value (value, 1);
      if (G_VALUE_HOLDS_STRING (value) && g_strcmp0 (g_value_get_string (value), uri) == 0)
        return (guint) g_ascii_strtoull (name + strlen ("extmap-"), NULL, 10);
    }
  return 0;
}

static void
on_handoff (GstElement *sink, GstBuffer *buffer, GstPad *pad, VsaTestPeer *peer)
{
  g_atomic_int_inc (&peer->frames);
}

static void
on_decoded_pad (GstElement *decodebin, GstPad *pad, VsaTestPeer *peer)
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
on_incoming_pad (GstElement *webrtc, GstPad *pad, VsaTestPeer *peer)
{
  GstElement *decodebin;
  g_autoptr (GstPad) sink_pad = NULL;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST, on_rtp, peer,
                     NULL);
  decodebin = gst_element_factory_make ("decodebin", NULL);
  g_signal_connect (decodebin, "pad-added", G_CALLBACK (on_decoded_pad), peer);
  gst_bin_add (GST_BIN (peer->pipeline), decodebin);
  gst_element_sync_state_with_parent (decodebin);
  sink_pad = gst_element_get_static_pad (decodebin, "sink");
  gst_pad_link (pad, sink_pad);
}

static void
on_gathering_state (GstElement *webrtc, GParamSpec *pspec, VsaTestPeer *peer)
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
  VsaTestPeer *peer = data;
  GstWebRTCSessionDescription *offer = NULL;

  g_assert_cmpint (gst_promise_wait (promise), ==, GST_PROMISE_RESULT_REPLIED);
  gst_structure_get (gst_promise_get_reply (promise), "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION,
                     &offer, NULL);
  gst_promise_unref (promise);
  g_assert_nonnull (offer);
  g_signal_emit_by_name (peer->webrtc, "set-local-description", offer, NULL);
  gst_webrtc_session_description_free (offer);
}

/* As browsers do: no UPnP router discovery (gssdp would multicast and leak its address). */
static void
disable_upnp (GstElement *webrtc)
{
  g_autoptr (GObject) ice = NULL;
  g_autoptr (GObject) agent = NULL;

  g_object_get (webrtc, "ice-agent", &ice, NULL);
  g_object_get (ice, "agent", &agent, NULL);
  g_object_set (agent, "upnp", FALSE, NULL);
}

VsaTestPeer *
vsa_test_peer_new (const char *codec_caps)
{
  return vsa_test_peer_new_full (codec_caps, FALSE);
}

/* On the SCTP thread. */
static void
on_input_message (GstWebRTCDataChannel *channel, const char *message, VsaTestPeer *peer)
{
  g_mutex_lock (&peer->lock);
  g_ptr_array_add (peer->input_received, g_strdup (message));
  g_mutex_unlock (&peer->lock);
}

VsaTestPeer *
vsa_test_peer_new_full (const char *codec_caps, gboolean input_channel)
{
  VsaTestPeer *peer = g_new0 (VsaTestPeer, 1);
  g_autoptr (GstCaps) caps = gst_caps_from_string (codec_caps);
  GstWebRTCRTPTransceiver *transceiver = NULL;
  g_autoptr (GstElement) rtpbin = NULL;

  g_mutex_init (&peer->lock);
  peer->input_received = g_ptr_array_new_with_free_func (g_free);
  peer->playout_delay_id = offered_extmap_id (caps, VSA_TEST_PEER_PLAYOUT_DELAY_URI);
  peer->twcc_id = offered_extmap_id (caps, VSA_TEST_PEER_TWCC_URI);
  peer->rand = g_rand_new_with_seed (LOSS_SEED);
  peer->pipeline = gst_pipeline_new (NULL);
  peer->webrtc = gst_element_factory_make_full ("webrtcbin", "bundle-policy",
                                                GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, NULL);
  gst_bin_add (GST_BIN (peer->pipeline), peer->webrtc);
  disable_upnp (peer->webrtc);
  rtpbin = gst_bin_get_by_name (GST_BIN (peer->webrtc), "rtpbin");
  g_signal_connect (rtpbin, "pad-added", G_CALLBACK (on_rtpbin_pad), peer);
  g_signal_connect (peer->webrtc, "deep-element-added", G_CALLBACK (on_element_added), peer);
  g_signal_connect (peer->webrtc, "pad-added", G_CALLBACK (on_incoming_pad), peer);
  g_signal_connect (peer->webrtc, "notify::ice-gathering-state", G_CALLBACK (on_gathering_state),
                    peer);
  g_signal_emit_by_name (peer->webrtc, "add-transceiver",
                         GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps, &transceiver);
  g_clear_object (&transceiver);
  g_assert_cmpint (gst_element_set_state (peer->pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
  /* as the viewer page does, after the video transceiver: the offer gets m=application */
  if (input_channel)
    {
      g_signal_emit_by_name (peer->webrtc, "create-data-channel", "input", NULL, &peer->input);
      g_assert_nonnull (peer->input);
      g_signal_connect (peer->input, "on-message-string", G_CALLBACK (on_input_message), peer);
    }
  g_signal_emit_by_name (peer->webrtc, "create-offer", NULL,
                         gst_promise_new_with_change_func (on_offer_created, peer, NULL));
  return peer;
}

void
vsa_test_peer_free (VsaTestPeer *peer)
{
  if (peer == NULL)
    return;
  gst_element_set_state (peer->pipeline, GST_STATE_NULL);
  if (peer->input != NULL)
    g_signal_handlers_disconnect_by_data (peer->input, peer);
  g_clear_object (&peer->input);
  gst_object_unref (peer->pipeline);
  g_ptr_array_unref (peer->input_received);
  g_free (peer->offer_sdp);
  g_free (peer->answer_sdp);
  g_rand_free (peer->rand);
  g_mutex_clear (&peer->lock);
  g_free (peer);
}

static gboolean
peer_gathered (gpointer data)
{
  VsaTestPeer *peer = data;
  gboolean gathered;

  g_mutex_lock (&peer->lock);
  gathered = peer->gathered;
  g_mutex_unlock (&peer->lock);
  return gathered;
}

gboolean
vsa_test_peer_has_frames (gpointer peer)
{
  return vsa_test_peer_get_frames (peer) >= 30;
}

int
vsa_test_peer_get_frames (VsaTestPeer *peer)
{
  return g_atomic_int_get (&peer->frames);
}

const char *
vsa_test_peer_get_answer_sdp (VsaTestPeer *peer)
{
  return peer->answer_sdp;
}

void
vsa_test_peer_get_rtp_counts (VsaTestPeer *peer, VsaTestPeerRtpCounts *counts)
{
  g_mutex_lock (&peer->lock);
  *counts = peer->rtp;
  g_mutex_unlock (&peer->lock);
}

/* Stores the peer's offer with its candidates bundled in the SDP, as the early-offer flow. */
void
vsa_test_peer_store_offer (VsaTestPeer *peer, VsaTestController *controller, const char *session_id)
{
  vsa_test_peer_store_offer_with (peer, controller, session_id, NULL);
}

void
vsa_test_peer_store_offer_with (VsaTestPeer *peer, VsaTestController *controller,
                                const char *session_id, const char *candidates_json)
{
  g_autoptr (JsonNode) candidates = NULL;
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
  candidates = json_from_string (candidates_json != NULL ? candidates_json : "[]", &error);
  g_assert_no_error (error);
  json_builder_add_value (builder, g_steal_pointer (&candidates));
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  body = json_to_string (root, FALSE);
  g_assert_true (vsa_test_controller_store_offer (controller, session_id, body, &error));
  g_assert_no_error (error);
}

typedef struct
{
  VsaTestController *controller;
  const char *session_id;
} AnswerWait;

static gboolean
has_answer (gpointer data)
{
  AnswerWait *wait = data;

  return vsa_test_controller_get_answer_count (wait->controller, wait->session_id) > 0;
}

char *
vsa_test_peer_dup_offer_sdp (VsaTestPeer *peer)
{
  g_assert_true (vsa_test_wait_until (peer_gathered, peer, 10000));
  return g_strdup (peer->offer_sdp);
}

void
vsa_test_peer_apply_answer_sdp (VsaTestPeer *peer, const char *answer_sdp)
{
  GstSDPMessage *sdp = NULL;
  GstWebRTCSessionDescription *answer;

  g_assert_nonnull (strstr (answer_sdp, "a=sendonly"));
  g_free (peer->answer_sdp);
  peer->answer_sdp = g_strdup (answer_sdp);
  g_assert_cmpint (gst_sdp_message_new_from_text (answer_sdp, &sdp), ==, GST_SDP_OK);
  answer = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_ANSWER, sdp);
  g_signal_emit_by_name (peer->webrtc, "set-remote-description", answer, NULL);
  gst_webrtc_session_description_free (answer);
}

/* Applies the stored answer and its candidates to the peer, as the browser does. */
void
vsa_test_peer_apply_answer (VsaTestPeer *peer, VsaTestController *controller,
                            const char *session_id)
{
  g_autofree char *answer_json = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonObject *root;
  JsonArray *candidates;
  const char *sdp_text;
  AnswerWait wait = { controller, session_id };

  /* the agent's own budget under a sick controller: 20 s of retries (backoff or a
   * Retry-After between them), the last of which may take a request timeout (5 s) */
  g_assert_true (vsa_test_wait_until (has_answer, &wait, 40000));
  answer_json = vsa_test_controller_dup_answer (controller, session_id);
  g_assert_true (json_parser_load_from_data (parser, answer_json, -1, &error));
  root = json_node_get_object (json_parser_get_root (parser));
  sdp_text = json_object_get_string_member (json_object_get_object_member (root, "answer"), "sdp");
  vsa_test_peer_apply_answer_sdp (peer, sdp_text);

  candidates = json_object_get_array_member (root, "candidates");
  for (guint i = 0; i < json_array_get_length (candidates); i++)
    {
      JsonObject *candidate = json_array_get_object_element (candidates, i);

      g_signal_emit_by_name (peer->webrtc, "add-ice-candidate",
                             (guint) json_object_get_int_member (candidate, "sdpMLineIndex"),
                             json_object_get_string_member (candidate, "candidate"));
    }
}

void
vsa_test_peer_set_loss (VsaTestPeer *peer, double loss)
{
  g_mutex_lock (&peer->lock);
  peer->loss = loss;
  g_mutex_unlock (&peer->lock);
}

guint64
vsa_test_peer_get_bytes (VsaTestPeer *peer)
{
  guint64 bytes;

  g_mutex_lock (&peer->lock);
  bytes = peer->bytes;
  g_mutex_unlock (&peer->lock);
  return bytes;
}

/* Gone as a closed tab is: no goodbye, nothing sent any more. */
void
vsa_test_peer_vanish (VsaTestPeer *peer)
{
  gst_element_set_state (peer->pipeline, GST_STATE_NULL);
}

gboolean
vsa_test_peer_input_is_open (gpointer data)
{
  VsaTestPeer *peer = data;
  GstWebRTCDataChannelState state = GST_WEBRTC_DATA_CHANNEL_STATE_CLOSED;

  if (peer->input != NULL)
    g_object_get (peer->input, "ready-state", &state, NULL);
  return state == GST_WEBRTC_DATA_CHANNEL_STATE_OPEN;
}

void
vsa_test_peer_send_input (VsaTestPeer *peer, const char *message)
{
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (peer->input);
  g_assert_true (gst_webrtc_data_channel_send_string_full (peer->input, message, &error));
  g_assert_no_error (error);
}

char *
vsa_test_peer_get_input_message (VsaTestPeer *peer, guint index)
{
  char *message = NULL;

  g_mutex_lock (&peer->lock);
  if (index < peer->input_received->len)
    message = g_strdup (g_ptr_array_index (peer->input_received, index));
  g_mutex_unlock (&peer->lock);
  return message;
}

void
vsa_test_peer_close_input (VsaTestPeer *peer)
{
  g_assert_nonnull (peer->input);
  gst_webrtc_data_channel_close (peer->input);
}
