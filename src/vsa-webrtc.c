/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* webrtcbin's set-up for the session: the element and its ICE servers (TURN credentials
 * into the URI), what libnice and the RTX sender are told, the video transceiver and its
 * codec preferences, and the check of webrtcbin's answer. No callback of its own runs on
 * the main context: the RTX sender is set up on whatever thread webrtcbin adds it from. */
#undef G_LOG_DOMAIN /* meson sets "vsa" for every file */
#define G_LOG_DOMAIN "vsa-webrtc"

#include "vsa-webrtc.h"

#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#include "vsa-pipeline.h"
#include "vsa-rtx-limit.h"

/* "stun:host:port" → "stun://host:port"; "turn:host:port?q" → "turn://user:pass@host:port?q" */
char *
vsa_webrtc_ice_server_uri (const char *url, const VsaIceServer *server)
{
  const char *rest = strchr (url, ':') + 1;
  g_autofree char *scheme = g_strndup (url, (gsize) (rest - 1 - url));
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;

  if (g_str_has_prefix (rest, "//"))
    rest += 2;
  if (!g_str_has_prefix (scheme, "turn"))
    return g_strdup_printf ("%s://%s", scheme, rest);
  user = g_uri_escape_string (server->username != NULL ? server->username : "", NULL, FALSE);
  password
      = g_uri_escape_string (server->credential != NULL ? server->credential : "", NULL, FALSE);
  return g_strdup_printf ("%s://%s:%s@%s", scheme, user, password, rest);
}

static void
vsa_webrtc_set_ice_servers (GstElement *webrtc, GPtrArray *ice_servers)
{
  gboolean have_stun = FALSE;

  for (guint i = 0; ice_servers != NULL && i < ice_servers->len; i++)
    {
      const VsaIceServer *server = g_ptr_array_index (ice_servers, i);

      for (guint j = 0; server->urls[j] != NULL; j++)
        {
          g_autofree char *uri = vsa_webrtc_ice_server_uri (server->urls[j], server);
          gboolean added = FALSE;

          if (g_str_has_prefix (uri, "stun://") && !have_stun)
            {
              /* webrtcbin takes a single STUN server */
              g_object_set (webrtc, "stun-server", uri, NULL);
              have_stun = TRUE;
            }
          else if (g_str_has_prefix (uri, "turn"))
            g_signal_emit_by_name (webrtc, "add-turn-server", uri, &added);
          g_debug ("ICE server %s", server->urls[j]); /* the URL only: no credentials */
        }
    }
}

/* libnice would look for a UPnP router on every session: multicast onto the VM's LAN. */
static void
vsa_webrtc_disable_upnp (GstElement *webrtc)
{
  g_autoptr (GObject) ice = NULL;
  g_autoptr (GObject) agent = NULL;

  g_object_get (webrtc, "ice-agent", &ice, NULL);
  if (ice != NULL && g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "agent") != NULL)
    g_object_get (ice, "agent", &agent, NULL);
  if (agent != NULL)
    g_object_set (agent, "upnp", FALSE, NULL);
}

/* webrtcbin's RTX sender keeps the last 500 packets for retransmission: 0.6 MB, 9 s of a
 * 500 kbit/s stream. A packet resent after a second is of no use to a receiver that plays
 * at once, so it keeps one second (and still at most 500 packets). */
#define RTX_HISTORY_MS 1000

static void
vsa_webrtc_on_deep_element_added (GstBin *bin, GstBin *sub_bin, GstElement *element, gpointer data)
{
  GstElementFactory *factory = gst_element_get_factory (element);

  if (factory != NULL && g_strcmp0 (GST_OBJECT_NAME (factory), "rtprtxsend") == 0)
    {
      g_object_set (element, "max-size-time", (guint) RTX_HISTORY_MS, NULL);
      vsa_rtx_limit_attach (element);
    }
}

/* Exactly what we send, in the offer's terms; webrtcbin intersects it with the offer.
 * The answer takes from these what the video's caps would tell webrtcbin only once the
 * encoder's first frame is out (tens of ms): the SSRC, which the payloader then takes
 * from webrtcbin's caps, and the extmaps, as the payloader writes them. */
static GstCaps *
vsa_webrtc_codec_preferences (const VsaCodecChoice *choice, guint32 ssrc)
{
  g_autoptr (GPtrArray) extensions = NULL;
  GstCaps *caps = gst_caps_new_simple (
      "application/x-rtp", "media", G_TYPE_STRING, "video", "encoding-name", G_TYPE_STRING,
      vsa_codec_to_encoding_name (choice->codec), "payload", G_TYPE_INT, (int) choice->payload_type,
      "clock-rate", G_TYPE_INT, 90000, "ssrc", G_TYPE_UINT, ssrc, NULL);

  if (choice->codec == VSA_CODEC_H264)
    gst_caps_set_simple (caps, "packetization-mode", G_TYPE_STRING, "1", "profile-level-id",
                         G_TYPE_STRING, choice->profile_level_id, NULL);
  extensions = vsa_pipeline_new_header_extensions (choice);
  for (guint i = 0; i < extensions->len; i++)
    gst_rtp_header_extension_set_caps_from_attributes (g_ptr_array_index (extensions, i), caps);
  return caps;
}

GstElement *
vsa_webrtc_new (GPtrArray *ice_servers, GError **error)
{
  GstElement *webrtc
      = gst_element_factory_make_full ("webrtcbin", "name", "webrtc", "bundle-policy",
                                       GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, "latency", 0, NULL);

  if (webrtc == NULL)
    {
      g_set_error_literal (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
                           "webrtcbin is missing (gstreamer1.0-plugins-bad, gstreamer1.0-nice)");
      return NULL;
    }
  vsa_webrtc_set_ice_servers (webrtc, ice_servers);
  vsa_webrtc_disable_upnp (webrtc);
  g_signal_connect (webrtc, "deep-element-added", G_CALLBACK (vsa_webrtc_on_deep_element_added),
                    NULL);
  return webrtc;
}

GstPad *
vsa_webrtc_add_video (GstElement *webrtc, GstPad *video_src, const VsaCodecChoice *choice,
                      GError **error)
{
  g_autoptr (GstCaps) preferences = vsa_webrtc_codec_preferences (choice, g_random_int ());
  g_autoptr (GstPad) sink = gst_element_request_pad_simple (webrtc, "sink_%u");
  g_autoptr (GstWebRTCRTPTransceiver) transceiver = NULL;

  if (gst_pad_link (video_src, sink) != GST_PAD_LINK_OK)
    {
      g_set_error_literal (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
                           "cannot link the video to webrtcbin");
      return NULL;
    }
  g_object_get (sink, "transceiver", &transceiver, NULL);
  g_object_set (transceiver, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY,
                "codec-preferences", preferences, "do-nack", TRUE, NULL);
  return g_steal_pointer (&sink);
}

/* The answer must send video on the chosen m-line: webrtcbin answers "inactive" or
 * "recvonly" when our pad's caps did not match the offer, and without the video's SSRC
 * Chromium decodes but never shows it: a black screen either way. */
char *
vsa_webrtc_check_answer (const GstSDPMessage *answer, guint mline)
{
  const GstSDPMedia *media;

  if (mline >= gst_sdp_message_medias_len (answer))
    return g_strdup ("webrtcbin's answer has no video m-line");
  media = gst_sdp_message_get_media (answer, mline);
  if (gst_sdp_media_get_attribute_val (media, "sendonly") == NULL
      && gst_sdp_media_get_attribute_val (media, "sendrecv") == NULL)
    return g_strdup ("webrtcbin's answer does not send video (codec caps mismatch)");
  if (gst_sdp_media_get_attribute_val (media, "ssrc") == NULL)
    return g_strdup ("webrtcbin's answer has no SSRC for the video");
  return NULL;
}
