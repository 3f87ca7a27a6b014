/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The RTX sender's budget: its arithmetic, and a real rtprtxsend asked to resend every
 * packet it sent. */
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/rtp/rtp.h>

#include "vsa-rtx-limit.h"
#include "vsa-test-util.h"

#define MS 1000
#define SECOND G_USEC_PER_SEC
#define MEDIA_PT 96
#define RTX_PT 97
#define SSRC 0x1234
#define PACKETS 40
#define PAYLOAD_BYTES 1000

/* Resends up to half the media of the last second, each counted at the media's mean
 * packet size when granted; the media further back no longer counts. */
static void
test_budget (void)
{
  VsaRtxBudget *budget = vsa_rtx_budget_new ();
  gint64 now = 1000 * SECOND;
  guint granted = 0;

  g_assert_false (vsa_rtx_budget_allows (budget, now)); /* nothing sent: nothing to resend */
  for (guint i = 0; i < 10; i++)
    vsa_rtx_budget_add_media (budget, 10 * 1000, 10, now + i * 100 * MS);
  now += 950 * MS;
  /* 100 packets of 1000 bytes: 50 resends */
  while (vsa_rtx_budget_allows (budget, now))
    granted++;
  g_assert_cmpuint (granted, ==, 50);
  g_assert_false (vsa_rtx_budget_allows (budget, now + 50 * MS));
  /* a second on, only new media counts, and the resends granted then no longer do */
  now += SECOND;
  vsa_rtx_budget_add_media (budget, 2 * 1000, 2, now);
  g_assert_true (vsa_rtx_budget_allows (budget, now));
  g_assert_false (vsa_rtx_budget_allows (budget, now));
  vsa_rtx_budget_free (budget);
}

static GstBuffer *
make_packet (guint16 seqnum)
{
  GstBuffer *buffer = gst_rtp_buffer_new_allocate (PAYLOAD_BYTES, 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

  gst_rtp_buffer_map (buffer, GST_MAP_WRITE, &rtp);
  gst_rtp_buffer_set_payload_type (&rtp, MEDIA_PT);
  gst_rtp_buffer_set_ssrc (&rtp, SSRC);
  gst_rtp_buffer_set_seq (&rtp, seqnum);
  gst_rtp_buffer_set_timestamp (&rtp, seqnum * 300); /* all within the history */
  gst_rtp_buffer_unmap (&rtp);
  return buffer;
}

typedef struct
{
  GstAppSink *sink;
  guint media, resent;
} Count;

static gboolean
count_out (gpointer data)
{
  Count *count = data;
  GstSample *sample;

  while ((sample = gst_app_sink_try_pull_sample (count->sink, 0)) != NULL)
    {
      GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

      g_assert_true (gst_rtp_buffer_map (gst_sample_get_buffer (sample), GST_MAP_READ, &rtp));
      if (gst_rtp_buffer_get_payload_type (&rtp) == RTX_PT)
        count->resent++;
      else
        count->media++;
      gst_rtp_buffer_unmap (&rtp);
      gst_sample_unref (sample);
    }
  return count->media >= PACKETS;
}

/* Counts and waits on. */
static gboolean
count_more (gpointer data)
{
  count_out (data);
  return FALSE;
}

/* Every packet sent NACKed at once, as one NACK's requests come: half of them are resent,
 * the rest refused. */
static void
test_element (void)
{
  g_autoptr (GstElement) pipeline = gst_pipeline_new (NULL);
  g_autoptr (GstStructure) pt_map
      = gst_structure_new ("application/x-rtp-pt-map", "96", G_TYPE_UINT, RTX_PT, NULL);
  g_autoptr (GstCaps) caps = gst_caps_new_simple (
      "application/x-rtp", "media", G_TYPE_STRING, "video", "clock-rate", G_TYPE_INT, 90000,
      "payload", G_TYPE_INT, MEDIA_PT, "ssrc", G_TYPE_UINT, SSRC, NULL);
  GstElement *src
      = gst_element_factory_make_full ("appsrc", "caps", caps, "format", GST_FORMAT_TIME, NULL);
  GstElement *rtx = gst_element_factory_make_full ("rtprtxsend", "payload-type-map", pt_map,
                                                   "max-size-time", 1000u, NULL);
  GstElement *sink
      = gst_element_factory_make_full ("appsink", "sync", FALSE, "max-buffers", 0, NULL);
  g_autoptr (GstPad) sink_pad = gst_element_get_static_pad (sink, "sink");
  Count count = { GST_APP_SINK (sink) };

  g_assert_nonnull (rtx);
  gst_bin_add_many (GST_BIN (pipeline), src, rtx, sink, NULL);
  g_assert_true (gst_element_link_many (src, rtx, sink, NULL));
  vsa_rtx_limit_attach (rtx);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
  for (guint i = 0; i < PACKETS; i++)
    g_assert_cmpint (gst_app_src_push_buffer (GST_APP_SRC (src), make_packet (i)), ==, GST_FLOW_OK);
  g_assert_true (vsa_test_wait_until (count_out, &count, 5000));
  for (guint i = 0; i < PACKETS; i++)
    gst_pad_push_event (
        sink_pad,
        gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM,
                              gst_structure_new ("GstRTPRetransmissionRequest", "seqnum",
                                                 G_TYPE_UINT, i, "ssrc", G_TYPE_UINT, SSRC, NULL)));
  /* rtprtxsend resends from its own thread: all it will send within half a second */
  vsa_test_wait_until (count_more, &count, 500);
  g_test_message ("%u media packets, %u resent, %" G_GUINT64_FORMAT " refused", count.media,
                  count.resent, vsa_rtx_limit_get_refused (rtx));
  g_assert_cmpuint (count.media, ==, PACKETS);
  g_assert_cmpuint (count.resent, ==, PACKETS / 2);
  g_assert_cmpuint (vsa_rtx_limit_get_refused (rtx), ==, PACKETS / 2);
  gst_element_set_state (pipeline, GST_STATE_NULL);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vsa/rtx-limit/budget", test_budget);
  g_test_add_func ("/vsa/rtx-limit/element", test_element);
  return g_test_run ();
}
