/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vsa-pipeline.h"

#include "vsa-encoded-qp.h"
#include "vsa-encoder.h"
#include "vsa-frame-dropper.h"
#include "vsa-pacer.h"
#include "vsa-rtp-playout-delay.h"
#include "vsa-x11-src.h"

/* The encoders' buffer (x264's VBV, libvpx's), in ms of the bitrate: what a change's first
 * frame may take. 300 ms sends a window of text sharp at once; 1.5 frames (50 ms at
 * 30 fps) sent it blurred, 150 ms half way (BENCHMARKS.md, picture quality). */
#define VBV_MS 300

/* Encoders tuned for latency and screen content: no B-frames or lookahead, CBR with a
 * VBV_MS buffer, a very long GOP (the browser's PLI/FIR asks for keyframes), threads sized
 * to the machine. x264's fastest preset with 4x4 intra prediction (text's edges; as
 * cheap, and the quality bench's scroll sharper); libvpx's VP8 at cpu-used 12, not its
 * fastest 16, whose scrolled text came out blurred (22 dB against 46). VP8 on one thread:
 * libvpx's VP8 threads spin-wait on each other, and two threads on two busy cores took
 * 5.2 s of CPU for a 90-frame 720p clip that one thread encodes in 0.41 s (x264's sliced
 * threads: 0.30 s against 0.27 s on one). */
static GstElement *
vsa_pipeline_make_encoder (const VsaConfig *config, const VsaCodecChoice *choice)
{
  guint threads = MAX (1, g_get_num_processors ());
  guint gop = config->fps * 300;

  switch (choice->codec)
    {
    case VSA_CODEC_H264:
      return gst_element_factory_make_full (
          "x264enc", "name", "encoder", "bitrate", config->bitrate_kbps, "speed-preset",
          1 /* ultrafast */, "tune", 4 /* zerolatency */, "bframes", 0, "rc-lookahead", 0,
          "mb-tree", FALSE, "sliced-threads", TRUE, "threads", threads, "vbv-buf-capacity", VBV_MS,
          "key-int-max", gop, "pass", 0 /* cbr */, "b-adapt", FALSE, "analyse", 0x1 /* i4x4 */,
          NULL);
    case VSA_CODEC_VP8:
      return gst_element_factory_make_full (
          "vp8enc", "name", "encoder", "target-bitrate", config->bitrate_kbps * 1000, "deadline",
          (gint64) 1, "cpu-used", 12, "end-usage", 1 /* cbr */, "lag-in-frames", 0,
          "error-resilient", 1 /* default */, "keyframe-max-dist", gop, "threads", 1, "buffer-size",
          VBV_MS, "buffer-initial-size", VBV_MS, "buffer-optimal-size", VBV_MS, NULL);
    case VSA_CODEC_VP9:
      return gst_element_factory_make_full (
          "vp9enc", "name", "encoder", "target-bitrate", config->bitrate_kbps * 1000, "deadline",
          (gint64) 1, "cpu-used", 8, "end-usage", 1 /* cbr */, "lag-in-frames", 0,
          "error-resilient", 1, "keyframe-max-dist", gop, "threads", threads, "row-mt", TRUE,
          "tile-columns", 2, "buffer-size", VBV_MS, "buffer-initial-size", VBV_MS,
          "buffer-optimal-size", VBV_MS, NULL);
    }
  g_return_val_if_reached (NULL);
}

static GstElement *
vsa_pipeline_make_payloader (const VsaCodecChoice *choice)
{
  switch (choice->codec)
    {
    case VSA_CODEC_H264:
      return gst_element_factory_make_full ("rtph264pay", "pt", choice->payload_type, "mtu", 1200,
                                            "config-interval", -1, "aggregate-mode",
                                            1 /* zero-latency */, NULL);
    case VSA_CODEC_VP8:
      return gst_element_factory_make_full ("rtpvp8pay", "pt", choice->payload_type, "mtu", 1200,
                                            "picture-id-mode", 2 /* 15-bit */, NULL);
    case VSA_CODEC_VP9:
      return gst_element_factory_make_full ("rtpvp9pay", "pt", choice->payload_type, "mtu", 1200,
                                            "picture-id-mode", 2 /* 15-bit */, NULL);
    }
  g_return_val_if_reached (NULL);
}

static GstElement *
vsa_pipeline_make_source (const VsaConfig *config)
{
  if (config->source == VSA_SOURCE_TEST)
    return gst_element_factory_make_full ("videotestsrc", "name", "source", "is-live", TRUE,
                                          "pattern", 18 /* ball: moving content */, NULL);
  /* Ours, not ximagesrc: Xlib exits the process when the X server goes away. With a
   * local cursor the page draws the pointer: none in the video. */
  vsa_x11_src_register ();
  return gst_element_factory_make_full (
      "vsax11src", "name", "source", "display-name", config->display, "show-pointer",
      config->cursor == VSA_CURSOR_VIDEO, "skip-unchanged", TRUE, NULL);
}

static GstCaps *
vsa_pipeline_source_caps (const VsaConfig *config)
{
  GstCaps *caps
      = gst_caps_new_simple ("video/x-raw", "framerate", GST_TYPE_FRACTION, config->fps, 1, NULL);

  /* The screen gives its own size; the test pattern needs one. */
  if (config->source == VSA_SOURCE_TEST)
    gst_caps_set_simple (caps, "width", G_TYPE_INT, 1280, "height", G_TYPE_INT, 720, NULL);
  return caps;
}

/* webrtcbin must see the offer's H264 profile-level-id on its pad or it answers
 * "inactive". Our constrained-baseline stream is valid under any offered profile, so the
 * payloader's caps (which say what x264 wrote in the SPS) are relabelled. */
static GstPadProbeReturn
vsa_pipeline_relabel_h264_caps (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  const char *profile_level_id = data;
  GstCaps *caps;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  gst_event_parse_caps (event, &caps);
  caps = gst_caps_copy (caps);
  gst_caps_set_simple (caps, "profile-level-id", G_TYPE_STRING, profile_level_id, NULL);
  GST_PAD_PROBE_INFO_DATA (info) = gst_event_new_caps (caps);
  gst_caps_unref (caps);
  gst_event_unref (event);
  return GST_PAD_PROBE_OK;
}

/* The offered level bounds what the browser promises to decode, not what it can:
 * Chromium offers level 3.1 (at most 1280x720) and decodes 1080p all the same
 * (level-asymmetry-allowed). rtph264pay would pass it up from webrtcbin's caps and x264
 * refuse a bigger screen, so the payloader's caps queries do not see it. */
static GstPadProbeReturn
vsa_pipeline_hide_h264_level (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);
  GstCaps *caps = NULL;

  if (GST_QUERY_TYPE (query) != GST_QUERY_CAPS)
    return GST_PAD_PROBE_OK;
  gst_query_parse_caps_result (query, &caps);
  if (caps == NULL)
    return GST_PAD_PROBE_OK;
  caps = gst_caps_copy (caps);
  for (guint i = 0; i < gst_caps_get_size (caps); i++)
    gst_structure_remove_field (gst_caps_get_structure (caps, i), "profile-level-id");
  gst_query_set_caps_result (query, caps);
  gst_caps_unref (caps);
  return GST_PAD_PROBE_OK;
}

/* A lossy link must not bring a keyframe storm: a keyframe request (the browser's PLI or
 * FIR) for each loss would make frame after frame a keyframe, each larger than the link
 * takes, and lose more. One request in this long reaches the encoder; the browser asks
 * again when it still cannot decode. */
#define KEYFRAME_REQUEST_INTERVAL_US (500 * 1000)

typedef struct
{
  GMutex lock; /* requests come on RTCP threads */
  gint64 last_us;
  VsaX11Src *source; /* or NULL */
} KeyframeRequests;

static void
vsa_pipeline_keyframe_requests_free (gpointer data)
{
  KeyframeRequests *requests = data;

  g_mutex_clear (&requests->lock);
  g_clear_object (&requests->source);
  g_free (requests);
}

/* Passes one request per interval to the encoder; the screen source must then still send a
 * frame for it when the screen is still. */
static GstPadProbeReturn
vsa_pipeline_limit_keyframe_requests (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  KeyframeRequests *requests = data;
  gint64 now = g_get_monotonic_time ();
  gboolean pass;

  if (!gst_event_has_name (GST_PAD_PROBE_INFO_EVENT (info), "GstForceKeyUnit"))
    return GST_PAD_PROBE_OK;
  g_mutex_lock (&requests->lock);
  pass = requests->last_us == 0 || now - requests->last_us >= KEYFRAME_REQUEST_INTERVAL_US;
  if (pass)
    requests->last_us = now;
  g_mutex_unlock (&requests->lock);
  if (!pass)
    {
      g_debug ("keyframe request dropped: one passed under %d ms ago",
               KEYFRAME_REQUEST_INTERVAL_US / 1000);
      return GST_PAD_PROBE_DROP;
    }
  if (requests->source != NULL)
    vsa_x11_src_request_frame (requests->source);
  return GST_PAD_PROBE_OK;
}

/* After a change of a still screen the source keeps sending frames at the full rate until
 * the encoder's quantiser shows its picture refined, as libwebrtc's screenshare does, and
 * only then idles: a change's first frame has only its share of the bitrate, and text
 * must not stay blurred until the next repeat a second later. At most REFRESH_SECONDS. */
#define REFRESH_SECONDS 2

typedef struct
{
  VsaQpReader *reader;
  VsaX11Src *source;
  int converged_qp; /* at or under it, a refresh gains nothing anyone sees */
} Refinement;

static void
vsa_pipeline_refinement_free (gpointer data)
{
  Refinement *refinement = data;

  vsa_qp_reader_free (refinement->reader);
  gst_object_unref (refinement->source);
  g_free (refinement);
}

/* The quantiser each codec's picture is refined at: H264's QP, VP8's and VP9's base q
 * index (bench/vsa-bench-quality.c measures what they give). */
static int
vsa_pipeline_converged_qp (VsaCodec codec)
{
  switch (codec)
    {
    case VSA_CODEC_H264:
      return 22;
    case VSA_CODEC_VP8:
      return 20;
    case VSA_CODEC_VP9:
      return 40;
    }
  g_return_val_if_reached (0);
}

/* Raw frames the frame dropper holds back, before the convert's and encoder's work. */
static GstPadProbeReturn
vsa_pipeline_drop_raw_frame (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  VsaFrameDropper *dropper = data;

  if (!vsa_frame_dropper_should_drop (dropper, g_get_monotonic_time ()))
    return GST_PAD_PROBE_OK;
  g_debug ("frame dropped: the encoder is over its target (%" G_GUINT64_FORMAT " so far)",
           vsa_frame_dropper_get_dropped (dropper));
  return GST_PAD_PROBE_DROP;
}

static GstPadProbeReturn
vsa_pipeline_count_encoded (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  vsa_frame_dropper_add_encoded (data, gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER (info)),
                                 g_get_monotonic_time ());
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
vsa_pipeline_watch_quantiser (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  Refinement *refinement = data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  g_autoptr (GstEvent) segment_event = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
  const GstSegment *segment;
  GstMapInfo map;
  int qp;

  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    return GST_PAD_PROBE_OK;
  qp = vsa_qp_reader_read (refinement->reader, map.data, map.size);
  gst_buffer_unmap (buffer, &map);
  if (qp < 0 || qp > refinement->converged_qp || segment_event == NULL)
    return GST_PAD_PROBE_OK;
  /* in the source's time: encoders shift their timestamps (GstVideoEncoder by 1000 hours,
   * its segment with them) */
  gst_event_parse_segment (segment_event, &segment);
  vsa_x11_src_converged (refinement->source, gst_segment_to_running_time (segment, GST_FORMAT_TIME,
                                                                          GST_BUFFER_PTS (buffer)));
  return GST_PAD_PROBE_OK;
}

GPtrArray *
vsa_pipeline_new_header_extensions (const VsaCodecChoice *choice)
{
  GPtrArray *extensions = g_ptr_array_new_with_free_func (gst_object_unref);

  if (choice->playout_delay_id != 0)
    g_ptr_array_add (extensions, vsa_rtp_playout_delay_new (choice->playout_delay_id,
                                                            choice->playout_delay_sendonly));
  if (choice->twcc_id != 0)
    {
      /* rtpsession sees the id in the payloader's caps, rewrites each packet's number and
       * reads the browser's transport-cc feedback (its "twcc-stats") */
      GstRTPHeaderExtension *twcc = gst_rtp_header_extension_create_from_uri (VSA_CODEC_TWCC_URI);

      if (twcc == NULL)
        g_debug ("transport-wide-cc not answered: no rtphdrexttwcc");
      else
        {
          gst_rtp_header_extension_set_id (twcc, choice->twcc_id);
          if (choice->twcc_sendonly)
            gst_rtp_header_extension_set_direction (twcc,
                                                    GST_RTP_HEADER_EXTENSION_DIRECTION_SENDONLY);
          g_ptr_array_add (extensions, twcc); /* not floating: create_from_uri sank it */
        }
    }
  return extensions;
}

gboolean
vsa_pipeline_add_linked (GstBin *bin, GstElement **elements, guint n, GError **error)
{
  for (guint i = 0; i < n; i++)
    if (elements[i] == NULL)
      {
        for (guint j = 0; j < n; j++)
          if (elements[j] != NULL)
            gst_object_unref (gst_object_ref_sink (elements[j]));
        g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
                     "GStreamer element %u is missing", i);
        return FALSE;
      }
  for (guint i = 0; i < n; i++)
    gst_bin_add (bin, elements[i]);
  for (guint i = 0; i + 1 < n; i++)
    if (!gst_element_link (elements[i], elements[i + 1]))
      {
        g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION, "cannot link %s to %s",
                     GST_OBJECT_NAME (elements[i]), GST_OBJECT_NAME (elements[i + 1]));
        return FALSE;
      }
  return TRUE;
}

GstElement *
vsa_pipeline_new_video_bin (const VsaConfig *config, const VsaCodecChoice *choice, GError **error)
{
  g_autoptr (GstElement) bin = gst_bin_new ("video");
  g_autoptr (GstCaps) raw_caps = vsa_pipeline_source_caps (config);
  g_autoptr (GstCaps) encoded_caps = NULL;
  g_autoptr (GstCaps) bt601_caps
      = gst_caps_from_string ("video/x-raw,format=I420,colorimetry=bt601");
  g_autoptr (GstCaps) nv12_caps = gst_caps_from_string ("video/x-raw,format=NV12");
  GstElement *elements[12] = { 0 };
  g_autoptr (GPtrArray) extensions = NULL;
  g_autoptr (GstPad) encoded = NULL;
  g_autoptr (GstPad) raw = NULL;
  VsaFrameDropper *dropper;
  g_autoptr (GstPad) payloaded = NULL;
  g_autoptr (GstPad) src = NULL;
  KeyframeRequests *requests;
  VsaH264Encoder h264 = VSA_H264_ENCODER_X264;
  guint n = 0;

  if (choice->codec == VSA_CODEC_H264)
    {
      /* constrained-baseline: vaapih264enc picks its profile from these caps */
      encoded_caps = gst_caps_from_string (
          "video/x-h264,profile=constrained-baseline,stream-format=byte-stream");
      if (!vsa_encoder_settle_h264 (config->encoder, &h264, NULL, error))
        return NULL;
    }

  elements[n++] = vsa_pipeline_make_source (config);
  elements[n++] = gst_element_factory_make_full ("capsfilter", "caps", raw_caps, NULL);
  /* one leaky buffer: the encoder always takes the newest frame, never a backlog */
  elements[n++] = gst_element_factory_make_full ("queue", "max-size-buffers", 1, "max-size-bytes",
                                                 0, "max-size-time", (guint64) 0, "leaky",
                                                 2 /* downstream */, NULL);
  if (h264 == VSA_H264_ENCODER_VAAPI)
    n += vsa_encoder_new_vaapi_h264 (config->bitrate_kbps, config->fps, &elements[n]);
  else
    {
      /* One thread: n-threads=2 costs as many instructions and cut 1080p's 7.8 ms convert
       * to 4.5 ms only with a core idle; at 720p (2.0 ms) it made it 2.9-5.1 ms. */
      elements[n++] = gst_element_factory_make_full ("videoconvert", "name", "convert", NULL);
      /* VP8 cannot say which colour matrix it uses and browsers assume BT.601 */
      if (choice->codec == VSA_CODEC_VP8)
        elements[n++] = gst_element_factory_make_full ("capsfilter", "caps", bt601_caps, NULL);
      /* x264 works in NV12: given I420 it interleaves the chroma itself. NV12 from
       * videoconvert costs 1.8 % fewer instructions per frame for convert + encode
       * (callgrind, 720p and 1080p), same picture. */
      if (choice->codec == VSA_CODEC_H264)
        elements[n++] = gst_element_factory_make_full ("capsfilter", "caps", nv12_caps, NULL);
      elements[n++] = vsa_pipeline_make_encoder (config, choice);
    }
  if (encoded_caps != NULL)
    elements[n++] = gst_element_factory_make_full ("capsfilter", "caps", encoded_caps, NULL);
  elements[n++] = vsa_pipeline_make_payloader (choice);
  /* the pacer waits on the queue's thread, not the encoder's; a second of packets at most
   * (then the encoder waits, and the leaky queue before it drops frames) */
  elements[n++] = gst_element_factory_make_full ("queue", "max-size-buffers", 0, "max-size-bytes",
                                                 0, "max-size-time", (guint64) GST_SECOND, NULL);
  vsa_pacer_register ();
  elements[n++]
      = gst_element_factory_make_full ("vsapacer", "name", "pacer", "bitrate",
                                       VSA_PIPELINE_PACING_KBPS (config->bitrate_kbps), NULL);

  if (!vsa_pipeline_add_linked (GST_BIN (bin), elements, n, error))
    {
      g_prefix_error (error,
                      "cannot create the %s pipeline: ", vsa_codec_to_string (choice->codec));
      return NULL;
    }

  encoded = gst_element_get_static_pad (elements[n - 4], "src");
  dropper = vsa_frame_dropper_new (config->bitrate_kbps);
  g_object_set_data_full (G_OBJECT (bin), "vsa-frame-dropper", dropper,
                          (GDestroyNotify) vsa_frame_dropper_free);
  raw = gst_element_get_static_pad (elements[2] /* the leaky queue */, "src");
  gst_pad_add_probe (raw, GST_PAD_PROBE_TYPE_BUFFER, vsa_pipeline_drop_raw_frame, dropper, NULL);
  gst_pad_add_probe (encoded, GST_PAD_PROBE_TYPE_BUFFER, vsa_pipeline_count_encoded, dropper, NULL);
  requests = g_new0 (KeyframeRequests, 1);
  g_mutex_init (&requests->lock);
  if (VSA_IS_X11_SRC (elements[0]))
    requests->source = gst_object_ref (VSA_X11_SRC (elements[0]));
  gst_pad_add_probe (encoded, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
                     vsa_pipeline_limit_keyframe_requests, requests,
                     vsa_pipeline_keyframe_requests_free);
  if (VSA_IS_X11_SRC (elements[0]))
    {
      Refinement *refinement = g_new0 (Refinement, 1);

      refinement->reader = vsa_qp_reader_new (choice->codec);
      refinement->source = gst_object_ref (VSA_X11_SRC (elements[0]));
      refinement->converged_qp = vsa_pipeline_converged_qp (choice->codec);
      gst_pad_add_probe (encoded, GST_PAD_PROBE_TYPE_BUFFER, vsa_pipeline_watch_quantiser,
                         refinement, vsa_pipeline_refinement_free);
      g_object_set (elements[0], "max-refresh-frames", config->fps * REFRESH_SECONDS, NULL);
    }

  /* webrtcbin answers the extmap-<id> fields the payloader puts on its caps */
  extensions = vsa_pipeline_new_header_extensions (choice);
  for (guint i = 0; i < extensions->len; i++)
    g_signal_emit_by_name (elements[n - 3], "add-extension", g_ptr_array_index (extensions, i));

  payloaded = gst_element_get_static_pad (elements[n - 3], "src");
  if (choice->codec == VSA_CODEC_H264)
    {
      gst_pad_add_probe (payloaded, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                         vsa_pipeline_relabel_h264_caps, g_strdup (choice->profile_level_id),
                         g_free);
      gst_pad_add_probe (payloaded, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM | GST_PAD_PROBE_TYPE_PULL,
                         vsa_pipeline_hide_h264_level, NULL, NULL);
    }
  src = gst_element_get_static_pad (elements[n - 1], "src");
  gst_element_add_pad (bin, gst_ghost_pad_new ("src", src));
  return g_steal_pointer (&bin);
}

void
vsa_pipeline_set_bitrate (GstElement *video_bin, VsaCodec codec, guint kbps)
{
  g_autoptr (GstElement) encoder = gst_bin_get_by_name (GST_BIN (video_bin), "encoder");
  g_autoptr (GstElement) pacer = gst_bin_get_by_name (GST_BIN (video_bin), "pacer");
  /* the session passes its whole pipeline: the dropper is on the video bin, the pacer's */
  g_autoptr (GstObject) bin = pacer != NULL ? gst_object_get_parent (GST_OBJECT (pacer)) : NULL;
  VsaFrameDropper *dropper
      = bin != NULL ? g_object_get_data (G_OBJECT (bin), "vsa-frame-dropper") : NULL;

  if (dropper != NULL)
    vsa_frame_dropper_set_target (dropper, kbps);
  if (pacer != NULL)
    g_object_set (pacer, "bitrate", VSA_PIPELINE_PACING_KBPS (kbps), NULL);
  if (encoder == NULL)
    return;
  /* x264enc and vaapih264enc alike: "bitrate" in kbit/s, a guint */
  if (codec == VSA_CODEC_H264)
    g_object_set (encoder, "bitrate", kbps, NULL);
  else
    g_object_set (encoder, "target-bitrate", (int) (MIN (kbps, 1000000u) * 1000), NULL);
}

gboolean
vsa_pipeline_probe (GstElement *video_bin, guint kbps, guint n_packets)
{
  g_autoptr (GstElement) pacer = gst_bin_get_by_name (GST_BIN (video_bin), "pacer");

  return pacer != NULL && vsa_pacer_probe (VSA_PACER (pacer), kbps, n_packets);
}

char *
vsa_pipeline_missing_elements (const VsaConfig *config)
{
  const char *const required[] = {
    config->source == VSA_SOURCE_TEST ? "videotestsrc" : "videoconvert",
    "videoconvert",
    "queue",
    "webrtcbin",
    "nicesrc",
    "dtlssrtpenc",
  };
  g_autoptr (GPtrArray) missing = g_ptr_array_new ();

  for (guint i = 0; i < G_N_ELEMENTS (required); i++)
    {
      g_autoptr (GstElementFactory) factory = gst_element_factory_find (required[i]);

      if (factory == NULL)
        g_ptr_array_add (missing, (gpointer) required[i]);
    }
  if (missing->len == 0)
    return NULL;
  g_ptr_array_add (missing, NULL);
  return g_strjoinv (", ", (char **) missing->pdata);
}
