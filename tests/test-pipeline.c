/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vsa-pipeline on the test source (videotestsrc): the video bin of each codec producing
 * RTP under the chosen payload type, with the offered header extensions on its packets;
 * the bitrate set while it runs; a missing element refused by name. The X source's side
 * of the bin (refresh frames, convergence) is in test-x11-src. */
#include "vsa-frame-dropper.h"
#include "vsa-pipeline.h"
#include "vsa-test-util.h"

#include <gst/app/gstappsink.h>

typedef struct
{
  VsaCodec codec;
  guint payload_type;
} BinCase;

static const BinCase bin_h264 = { VSA_CODEC_H264, 102 };
static const BinCase bin_vp8 = { VSA_CODEC_VP8, 120 };
static const BinCase bin_vp9 = { VSA_CODEC_VP9, 98 };

typedef struct
{
  GstElement *pipeline;
  GstAppSink *sink;
  guint payload_type;
  guint packets;
  guint with_payload_type;
  guint with_playout_delay;
} Run;

static VsaCodecChoice *
choice_new (const BinCase *bin_case)
{
  VsaCodecChoice *choice = g_new0 (VsaCodecChoice, 1);

  choice->codec = bin_case->codec;
  choice->payload_type = bin_case->payload_type;
  choice->profile_level_id = g_strdup ("42e01f");
  choice->packetization_mode = 1;
  choice->playout_delay_id = 5;
  return choice;
}

static gboolean
enough_packets (gpointer data)
{
  Run *run = data;
  GstSample *sample;

  while ((sample = gst_app_sink_try_pull_sample (run->sink, 0)) != NULL)
    {
      GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
      gpointer extension;
      guint size;

      if (gst_rtp_buffer_map (gst_sample_get_buffer (sample), GST_MAP_READ, &rtp))
        {
          run->packets++;
          run->with_payload_type += gst_rtp_buffer_get_payload_type (&rtp) == run->payload_type;
          run->with_playout_delay
              += gst_rtp_buffer_get_extension_onebyte_header (&rtp, 5, 0, &extension, &size);
          gst_rtp_buffer_unmap (&rtp);
        }
      gst_sample_unref (sample);
    }
  return run->packets >= 20;
}

/* The bin of each codec runs and its packets carry the chosen payload type and the
 * playout-delay extension under the offer's id. */
static void
test_video_bin (gconstpointer data)
{
  const BinCase *bin_case = data;
  g_autoptr (VsaConfig) config = vsa_config_new ();
  g_autoptr (VsaCodecChoice) choice = choice_new (bin_case);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) extensions = NULL;
  g_autoptr (GstElement) encoder = NULL;
  g_autoptr (GstElement) pacer = NULL;
  GstElement *bin, *sink;
  Run run = { .payload_type = bin_case->payload_type };
  guint kbps = 0;

  /* 720p encoded under valgrind: seconds a frame (VP9 the slowest); ASan covers it */
  if (vsa_test_skipped_under_valgrind ())
    return;
  if (!vsa_codec_is_available (bin_case->codec))
    {
      g_test_skip ("the codec's encoder is not installed");
      return;
    }
  config->source = VSA_SOURCE_TEST;
  bin = vsa_pipeline_new_video_bin (config, choice, &error);
  g_assert_no_error (error);
  g_assert_nonnull (bin);
  extensions = vsa_pipeline_new_header_extensions (choice);
  g_assert_cmpuint (extensions->len, ==, 1);

  run.pipeline = gst_pipeline_new (NULL);
  sink = gst_element_factory_make_full ("appsink", "max-buffers", 200, "sync", FALSE, NULL);
  run.sink = GST_APP_SINK (sink);
  gst_bin_add_many (GST_BIN (run.pipeline), bin, sink, NULL);
  g_assert_true (gst_element_link (bin, sink));
  g_assert_cmpint (gst_element_set_state (run.pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
  g_assert_true (vsa_test_wait_until (enough_packets, &run, 10000));
  g_test_message ("%u packets, %u with a payload type, %u with playout-delay", run.packets,
                  run.with_payload_type, run.with_playout_delay);
  g_assert_cmpuint (run.with_payload_type, ==, run.packets);
  g_assert_cmpuint (run.with_playout_delay, ==, run.packets);

  /* a new target reaches the running encoder */
  encoder = gst_bin_get_by_name (GST_BIN (bin), "encoder");
  g_assert_nonnull (encoder);
  vsa_pipeline_set_bitrate (bin, bin_case->codec, 700);
  if (bin_case->codec == VSA_CODEC_H264)
    g_object_get (encoder, "bitrate", &kbps, NULL);
  else
    {
      int bps = 0;

      g_object_get (encoder, "target-bitrate", &bps, NULL);
      kbps = (guint) bps / 1000;
    }
  g_assert_cmpuint (kbps, ==, 700);
  /* and the pacer its multiple */
  pacer = gst_bin_get_by_name (GST_BIN (bin), "pacer");
  g_object_get (pacer, "bitrate", &kbps, NULL);
  g_assert_cmpuint (kbps, ==, VSA_PIPELINE_PACING_KBPS (700));
  run.packets = 0;
  g_assert_true (vsa_test_wait_until (enough_packets, &run, 10000));

  gst_element_set_state (run.pipeline, GST_STATE_NULL);
  gst_object_unref (run.pipeline);
}

typedef struct
{
  GstAppSink *sink;
  guint64 bytes, frame_bytes, largest_frame;
  guint frames;
  guint32 last_timestamp;
} Output;

static gboolean
count_output (gpointer data)
{
  Output *output = data;
  GstSample *sample;

  while ((sample = gst_app_sink_try_pull_sample (output->sink, 0)) != NULL)
    {
      GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

      if (gst_rtp_buffer_map (gst_sample_get_buffer (sample), GST_MAP_READ, &rtp))
        {
          if (output->frames == 0 || gst_rtp_buffer_get_timestamp (&rtp) != output->last_timestamp)
            {
              output->frames++;
              output->frame_bytes = 0;
            }
          output->bytes += gst_rtp_buffer_get_payload_len (&rtp);
          output->frame_bytes += gst_rtp_buffer_get_payload_len (&rtp);
          output->largest_frame = MAX (output->largest_frame, output->frame_bytes);
          output->last_timestamp = gst_rtp_buffer_get_timestamp (&rtp);
          gst_rtp_buffer_unmap (&rtp);
        }
      gst_sample_unref (sample);
    }
  return FALSE;
}

/* Noise at 720p cannot be encoded in 500 kbit/s at any quantiser (a VP8 frame of it is
 * over 100 KB): the frame dropper skips frames until what left fits the target, over any
 * span at most its window more and a frame. */
static void
test_frame_dropper (void)
{
  g_autoptr (VsaConfig) config = vsa_config_new ();
  g_autoptr (VsaCodecChoice) choice = choice_new (&bin_vp8);
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) source = NULL;
  GstElement *pipeline, *bin, *sink;
  Output output = { 0 };
  gint64 start;
  double seconds;

  if (vsa_test_skipped_under_valgrind ())
    return;
  if (!vsa_codec_is_available (VSA_CODEC_VP8))
    {
      g_test_skip ("VP8's encoder is not installed");
      return;
    }
  config->source = VSA_SOURCE_TEST;
  config->bitrate_kbps = 500;
  bin = vsa_pipeline_new_video_bin (config, choice, &error);
  g_assert_no_error (error);
  source = gst_bin_get_by_name (GST_BIN (bin), "source");
  g_object_set (source, "pattern", 1 /* snow */, NULL);
  pipeline = gst_pipeline_new (NULL);
  sink = gst_element_factory_make_full ("appsink", "max-buffers", 0, "sync", FALSE, NULL);
  output.sink = GST_APP_SINK (sink);
  gst_bin_add_many (GST_BIN (pipeline), bin, sink, NULL);
  g_assert_true (gst_element_link (bin, sink));
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
  /* past the first second (the bucket's window and the first keyframe), then 4 s */
  vsa_test_wait_until (count_output, &output, 1500);
  output = (Output){ .sink = output.sink };
  start = g_get_monotonic_time ();
  vsa_test_wait_until (count_output, &output, 4000);
  seconds = (g_get_monotonic_time () - start) / 1e6;
  g_test_message ("%.0f kbit/s, %u frames in %.1f s, the largest %" G_GUINT64_FORMAT " bytes",
                  output.bytes * 8 / seconds / 1000, output.frames, seconds, output.largest_frame);
  g_assert_cmpuint (output.frames, >, 0);
  g_assert_cmpuint (output.frames, <, 30 * seconds / 2);
  g_assert_cmpfloat (output.bytes * 8.0, <=,
                     config->bitrate_kbps * 1000.0
                             * (seconds + VSA_FRAME_DROPPER_WINDOW_MS / 1000.0)
                         + output.largest_frame * 8.0);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}

static GstPadProbeReturn
count_keyframe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  if (!GST_BUFFER_FLAG_IS_SET (GST_PAD_PROBE_INFO_BUFFER (info), GST_BUFFER_FLAG_DELTA_UNIT))
    g_atomic_int_inc ((gint *) data);
  return GST_PAD_PROBE_OK;
}

/* What rtpsession sends upstream for a PLI (gst_video_event_new_upstream_force_key_unit) */
static GstEvent *
force_key_unit (guint count)
{
  return gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM,
                               gst_structure_new ("GstForceKeyUnit", "all-headers", G_TYPE_BOOLEAN,
                                                  TRUE, "count", G_TYPE_UINT, count, NULL));
}

static gboolean
drain_packets (gpointer data)
{
  Run *run = data;

  enough_packets (run);
  return FALSE;
}

/* The browser's keyframe requests as rtpsession sends them upstream, three in 200 ms:
 * one keyframe; half a second later, another. */
static void
test_keyframe_requests (void)
{
  g_autoptr (VsaConfig) config = vsa_config_new ();
  g_autoptr (VsaCodecChoice) choice = choice_new (&bin_vp8);
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) encoder = NULL;
  g_autoptr (GstPad) encoded = NULL;
  GstElement *bin, *sink;
  Run run = { .payload_type = bin_vp8.payload_type };
  gint keyframes = 0;

  if (vsa_test_skipped_under_valgrind ())
    return;
  if (!vsa_codec_is_available (VSA_CODEC_VP8))
    {
      g_test_skip ("the codec's encoder is not installed");
      return;
    }
  config->source = VSA_SOURCE_TEST;
  bin = vsa_pipeline_new_video_bin (config, choice, &error);
  g_assert_no_error (error);
  encoder = gst_bin_get_by_name (GST_BIN (bin), "encoder");
  encoded = gst_element_get_static_pad (encoder, "src");
  gst_pad_add_probe (encoded, GST_PAD_PROBE_TYPE_BUFFER, count_keyframe, &keyframes, NULL);
  run.pipeline = gst_pipeline_new (NULL);
  sink = gst_element_factory_make_full ("appsink", "max-buffers", 200, "sync", FALSE, NULL);
  run.sink = GST_APP_SINK (sink);
  gst_bin_add_many (GST_BIN (run.pipeline), bin, sink, NULL);
  g_assert_true (gst_element_link (bin, sink));
  g_assert_cmpint (gst_element_set_state (run.pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
  g_assert_true (vsa_test_wait_until (enough_packets, &run, 10000));
  g_assert_cmpint (g_atomic_int_get (&keyframes), ==, 1); /* the first frame */

  /* a frame or more apart, so that the encoder cannot fold them into one */
  for (guint i = 0; i < 3; i++)
    {
      gst_element_send_event (sink, force_key_unit (i));
      g_assert_false (vsa_test_wait_until (drain_packets, &run, 100));
    }
  g_assert_false (vsa_test_wait_until (drain_packets, &run, 200));
  g_assert_cmpint (g_atomic_int_get (&keyframes), ==, 2);
  g_assert_false (vsa_test_wait_until (drain_packets, &run, 200));
  gst_element_send_event (sink, force_key_unit (3));
  g_assert_false (vsa_test_wait_until (drain_packets, &run, 400));
  g_assert_cmpint (g_atomic_int_get (&keyframes), ==, 3);

  gst_element_set_state (run.pipeline, GST_STATE_NULL);
  gst_object_unref (run.pipeline);
}

/* A NULL element (one that could not be made) fails the whole chain by name. */
static void
test_missing_element (void)
{
  g_autoptr (GstElement) bin = gst_bin_new (NULL);
  g_autoptr (GError) error = NULL;
  GstElement *elements[] = { gst_element_factory_make ("identity", NULL), NULL };

  g_assert_false (
      vsa_pipeline_add_linked (GST_BIN (bin), elements, G_N_ELEMENTS (elements), &error));
  g_assert_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN);
  g_assert_cmpint (GST_BIN (bin)->numchildren, ==, 0);
}

/* The X source draws the pointer only with cursor=video: with cursor=local the page does. */
static void
test_cursor_mode (void)
{
  for (VsaCursorMode mode = VSA_CURSOR_LOCAL; mode <= VSA_CURSOR_VIDEO; mode++)
    {
      g_autoptr (VsaConfig) config = vsa_config_new ();
      g_autoptr (VsaCodecChoice) choice = choice_new (&bin_vp8);
      g_autoptr (GError) error = NULL;
      g_autoptr (GstElement) bin = NULL;
      g_autoptr (GstElement) source = NULL;
      gboolean show_pointer;

      if (!vsa_codec_is_available (VSA_CODEC_VP8))
        {
          g_test_skip ("VP8's encoder is not installed");
          return;
        }
      config->cursor = mode;
      bin = gst_object_ref_sink (vsa_pipeline_new_video_bin (config, choice, &error));
      g_assert_no_error (error);
      source = gst_bin_get_by_name (GST_BIN (bin), "source");
      g_object_get (source, "show-pointer", &show_pointer, NULL);
      g_assert_cmpint (show_pointer, ==, mode == VSA_CURSOR_VIDEO);
    }
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/vsa/pipeline/video-bin/h264", &bin_h264, test_video_bin);
  g_test_add_data_func ("/vsa/pipeline/video-bin/vp8", &bin_vp8, test_video_bin);
  g_test_add_data_func ("/vsa/pipeline/video-bin/vp9", &bin_vp9, test_video_bin);
  g_test_add_func ("/vsa/pipeline/keyframe-requests", test_keyframe_requests);
  g_test_add_func ("/vsa/pipeline/cursor-mode", test_cursor_mode);
  g_test_add_func ("/vsa/pipeline/frame-dropper", test_frame_dropper);
  g_test_add_func ("/vsa/pipeline/missing-element", test_missing_element);
  return g_test_run ();
}
