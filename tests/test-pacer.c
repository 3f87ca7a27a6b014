/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vsapacer: its schedule, and the element spreading a payloader's list of packets over
 * time, then stopping at once while it waits; its probes' padding packets in the media. */
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/rtp/gstrtpbuffer.h>

#include "vsa-bwe-probe.h"
#include "vsa-codec.h"
#include "vsa-pacer.h"
#include "vsa-test-util.h"

#define PACKET_BYTES 1200
#define PACKET_KBPS 960 /* one PACKET_BYTES packet each 10 ms */
#define PACKET_US 10000

/* At 960 kbit/s a packet takes 10 ms: a burst of packets leaves at once up to the burst
 * allowance, then 10 ms apart; idle time earns no more than that. */
static void
test_schedule (void)
{
  const guint ahead = VSA_PACER_BURST_US / PACKET_US;
  gint64 next = 0;
  gint64 now = 1000 * G_USEC_PER_SEC;

  for (guint i = 0; i <= ahead; i++)
    g_assert_cmpint (vsa_pacer_schedule (&next, now, PACKET_BYTES, PACKET_KBPS), ==, now);
  for (guint i = ahead + 1; i < 100; i++)
    g_assert_cmpint (vsa_pacer_schedule (&next, now, PACKET_BYTES, PACKET_KBPS), ==,
                     now + i * PACKET_US - VSA_PACER_BURST_US);
  /* two seconds later the queue is long gone: the same again */
  now += 2 * G_USEC_PER_SEC;
  for (guint i = 0; i <= ahead; i++)
    g_assert_cmpint (vsa_pacer_schedule (&next, now, PACKET_BYTES, PACKET_KBPS), ==, now);
  g_assert_cmpint (vsa_pacer_schedule (&next, now, PACKET_BYTES, PACKET_KBPS), ==,
                   now + (ahead + 1) * PACKET_US - VSA_PACER_BURST_US);
  /* no rate: no pacing */
  g_assert_cmpint (vsa_pacer_schedule (&next, now, 100 * PACKET_BYTES, 0), ==, now);
}

typedef struct
{
  GMutex lock;
  GPtrArray *buffers; /* what reached the sink */
  GArray *arrivals;   /* gint64, monotonic µs, one each */
} Packets;

static void
packets_init (Packets *packets)
{
  g_mutex_init (&packets->lock);
  packets->buffers = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);
  packets->arrivals = g_array_new (FALSE, FALSE, sizeof (gint64));
}

static void
packets_clear (Packets *packets)
{
  g_ptr_array_unref (packets->buffers);
  g_array_unref (packets->arrivals);
  g_mutex_clear (&packets->lock);
}

static GstFlowReturn
on_new_packet (GstAppSink *sink, gpointer data)
{
  Packets *packets = data;
  g_autoptr (GstSample) sample = gst_app_sink_pull_sample (sink);
  gint64 now = g_get_monotonic_time ();

  g_mutex_lock (&packets->lock);
  g_ptr_array_add (packets->buffers, gst_buffer_ref (gst_sample_get_buffer (sample)));
  g_array_append_val (packets->arrivals, now);
  g_mutex_unlock (&packets->lock);
  return GST_FLOW_OK;
}

static guint
packets_arrived (Packets *packets)
{
  guint n;

  g_mutex_lock (&packets->lock);
  n = packets->buffers->len;
  g_mutex_unlock (&packets->lock);
  return n;
}

typedef struct
{
  Packets *packets;
  guint n;
} Awaited;

static gboolean
packets_all_arrived (gpointer data)
{
  Awaited *awaited = data;

  return packets_arrived (awaited->packets) >= awaited->n;
}

/* appsrc → (queue, with @queued) → vsapacer → appsink recording into @packets, not
 * started; *src and *pacer: its two ends to drive. */
static GstElement *
new_pipeline (gboolean queued, Packets *packets, GstElement **src, GstElement **pacer)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) sink = NULL;
  GstAppSinkCallbacks callbacks = { .new_sample = on_new_packet };
  g_autofree char *description = g_strdup_printf (
      "appsrc name=src format=time ! %svsapacer name=pacer ! appsink name=sink sync=false",
      queued ? "queue ! " : "");
  GstElement *pipeline;

  g_assert_true (vsa_pacer_register ());
  pipeline = gst_parse_launch (description, &error);
  g_assert_no_error (error);
  *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  *pacer = gst_bin_get_by_name (GST_BIN (pipeline), "pacer");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks, packets, NULL);
  return pipeline;
}

/* appsrc → queue → vsapacer → appsink, sending one list of @n packets. */
static GstElement *
start_pipeline (guint kbps, guint n, Packets *packets)
{
  g_autoptr (GstElement) src = NULL;
  g_autoptr (GstElement) pacer = NULL;
  GstElement *pipeline = new_pipeline (TRUE, packets, &src, &pacer);
  GstBufferList *list = gst_buffer_list_new ();

  g_object_set (pacer, "bitrate", kbps, NULL);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
  for (guint i = 0; i < n; i++)
    gst_buffer_list_add (list, gst_buffer_new_wrapped (g_malloc0 (PACKET_BYTES), PACKET_BYTES));
  g_assert_cmpint (gst_app_src_push_buffer_list (GST_APP_SRC (src), list), ==, GST_FLOW_OK);
  return pipeline;
}

/* A list of 50 packets at 960 kbit/s: the burst at once, the rest one by one, about
 * 450 ms from the first to the last, not at once. */
static void
test_spreads_a_list (void)
{
  Packets packets;
  Awaited awaited = { &packets, 50 };
  g_autoptr (GstElement) pipeline = NULL;
  gint64 spread;

  packets_init (&packets);
  pipeline = start_pipeline (PACKET_KBPS, 50, &packets);
  g_assert_true (vsa_test_wait_until (packets_all_arrived, &awaited, 10000));
  spread
      = g_array_index (packets.arrivals, gint64, 49) - g_array_index (packets.arrivals, gint64, 0);
  g_test_message ("50 packets over %" G_GINT64_FORMAT " ms", spread / 1000);
  /* (at once, it would take under 1 ms) */
  g_assert_cmpint (spread, >=, (49 * PACKET_US - VSA_PACER_BURST_US) * 9 / 10);
  /* a busy machine sleeps longer, never shorter */
  g_assert_cmpint (spread, <, 5 * G_USEC_PER_SEC);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  packets_clear (&packets);
}

/* At 1 kbit/s a packet waits about 10 s: stopping does not wait for it. */
static void
test_stops_while_waiting (void)
{
  Packets packets;
  g_autoptr (GstElement) pipeline = NULL;
  gint64 stop_started;

  packets_init (&packets);
  pipeline = start_pipeline (1, 20, &packets);
  g_usleep (200 * 1000);
  stop_started = g_get_monotonic_time ();
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_NULL), ==, GST_STATE_CHANGE_SUCCESS);
  g_assert_cmpint (g_get_monotonic_time () - stop_started, <, 5 * G_USEC_PER_SEC);
  g_assert_cmpuint (packets_arrived (&packets), <=, 1);
  packets_clear (&packets);
}

static void
push_media (GstElement *src, guint16 seq, gboolean frame_end)
{
  GstBuffer *buffer = gst_rtp_buffer_new_allocate (100, 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

  g_assert_true (gst_rtp_buffer_map (buffer, GST_MAP_WRITE, &rtp));
  gst_rtp_buffer_set_payload_type (&rtp, 96);
  gst_rtp_buffer_set_seq (&rtp, seq);
  gst_rtp_buffer_set_timestamp (&rtp, 9000);
  gst_rtp_buffer_set_ssrc (&rtp, 0x1234);
  gst_rtp_buffer_set_marker (&rtp, frame_end);
  gst_rtp_buffer_unmap (&rtp);
  g_assert_cmpint (gst_app_src_push_buffer (GST_APP_SRC (src), buffer), ==, GST_FLOW_OK);
}

/* A probe: padding-only packets on the media's SSRC and payload type, each with the
 * transport-wide number's extension (the id the caps give) for rtpsession to fill in,
 * numbered after the media packet before them, the media after them numbered on, spaced
 * at the probe's rate, and never inside a frame. Without the extension in the caps, no
 * probe. */
static void
test_probe (void)
{
  Packets packets;
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstElement) src = NULL;
  g_autoptr (GstElement) pacer = NULL;
  g_autoptr (GstCaps) caps = NULL;
  Awaited awaited = { &packets, 0 };
  const guint n_probe = 10, kbps = 896; /* a padding packet each 2 ms */
  gint64 frame_end, spread;

  packets_init (&packets);
  pipeline = new_pipeline (FALSE, &packets, &src, &pacer);
  caps = gst_caps_new_simple ("application/x-rtp", "media", G_TYPE_STRING, "video", "payload",
                              G_TYPE_INT, 96, "clock-rate", G_TYPE_INT, 90000, "extmap-5",
                              G_TYPE_STRING, VSA_CODEC_TWCC_URI, NULL);
  g_object_set (src, "caps", caps, NULL);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
  /* nothing to take the SSRC from yet */
  g_assert_false (vsa_pacer_probe (VSA_PACER (pacer), kbps, n_probe));
  /* a frame's first packet: the probe waits for its last */
  push_media (src, 65533, FALSE);
  awaited.n = 1;
  g_assert_true (vsa_test_wait_until (packets_all_arrived, &awaited, 5000));
  g_assert_true (vsa_pacer_probe (VSA_PACER (pacer), kbps, n_probe));
  g_usleep (50 * 1000);
  g_assert_cmpuint (packets_arrived (&packets), ==, 1);
  frame_end = g_get_monotonic_time ();
  push_media (src, 65534, TRUE);
  awaited.n = 2 + n_probe;
  g_assert_true (vsa_test_wait_until (packets_all_arrived, &awaited, 5000));
  push_media (src, 65535, TRUE);
  push_media (src, 0, TRUE);
  awaited.n = 4 + n_probe;
  g_assert_true (vsa_test_wait_until (packets_all_arrived, &awaited, 5000));

  for (guint i = 0; i < packets.buffers->len; i++)
    {
      GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
      gboolean padding = i >= 2 && i < 2 + n_probe;
      gpointer data;
      guint size;

      g_assert_true (
          gst_rtp_buffer_map (g_ptr_array_index (packets.buffers, i), GST_MAP_READ, &rtp));
      g_assert_cmpuint (gst_rtp_buffer_get_seq (&rtp), ==, (guint16) (65533 + i));
      g_assert_cmpuint (gst_rtp_buffer_get_ssrc (&rtp), ==, 0x1234);
      g_assert_cmpuint (gst_rtp_buffer_get_payload_type (&rtp), ==, 96);
      g_assert_cmpuint (gst_rtp_buffer_get_timestamp (&rtp), ==, 9000);
      g_assert_cmpint (gst_rtp_buffer_get_padding (&rtp), ==, padding);
      g_assert_cmpuint (gst_rtp_buffer_get_payload_len (&rtp), ==, padding ? 0 : 100);
      if (padding)
        {
          g_assert_false (gst_rtp_buffer_get_marker (&rtp));
          g_assert_true (gst_rtp_buffer_get_extension_onebyte_header (&rtp, 5, 0, &data, &size));
          g_assert_cmpuint (size, ==, 2);
          g_assert_cmpuint (gst_buffer_get_size (g_ptr_array_index (packets.buffers, i)), ==,
                            12 + 8 + VSA_BWE_PROBE_PADDING);
        }
      gst_rtp_buffer_unmap (&rtp);
    }
  /* (from the frame's end: a padding packet late on a busy machine lets the next go sooner) */
  spread = g_array_index (packets.arrivals, gint64, 1 + n_probe) - frame_end;
  g_test_message ("%u padding packets over %" G_GINT64_FORMAT " us", n_probe, spread);
  g_assert_cmpint (spread, >=, (n_probe - 1) * 2000 * 9 / 10);
  g_assert_cmpint (spread, <, G_USEC_PER_SEC);

  /* caps without the extension: the browser could not report them, so none */
  g_clear_pointer (&caps, gst_caps_unref);
  caps = gst_caps_new_simple ("application/x-rtp", "media", G_TYPE_STRING, "video", "payload",
                              G_TYPE_INT, 96, "clock-rate", G_TYPE_INT, 90000, NULL);
  g_object_set (src, "caps", caps, NULL);
  push_media (src, 1, TRUE);
  awaited.n = 5 + n_probe;
  g_assert_true (vsa_test_wait_until (packets_all_arrived, &awaited, 5000));
  g_assert_false (vsa_pacer_probe (VSA_PACER (pacer), kbps, n_probe));

  gst_element_set_state (pipeline, GST_STATE_NULL);
  packets_clear (&packets);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vsa/pacer/schedule", test_schedule);
  g_test_add_func ("/vsa/pacer/spreads-a-list", test_spreads_a_list);
  g_test_add_func ("/vsa/pacer/stops-while-waiting", test_stops_while_waiting);
  g_test_add_func ("/vsa/pacer/probe", test_probe);
  return g_test_run ();
}
