/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vsa-rate-control: where a session starts with and without transport-wide feedback,
 * rtpsession's feedback events read into the delay rule (a queue growing brings the
 * target down), a probe's lost padding not taken for loss, and the loss rule's lower
 * target winning. The encoder is absent (an empty bin): the target is read back. */
#include <gst/gst.h>

#include "vsa-rate-control.h"

#define START_KBPS 800
#define MAX_KBPS 2500

static VsaConfig *
config_new (void)
{
  VsaConfig *config = vsa_config_new ();

  config->bitrate_kbps = MAX_KBPS;
  config->start_bitrate_kbps = START_KBPS;
  config->min_bitrate_kbps = 100;
  return config;
}

/* One feedback as rtpsession (1.22) sends it upstream: @n packets of 1000 bytes sent
 * 5 ms apart from @first_send_ms, the first after *queue_ms in the bottleneck's queue and
 * each next @growth_ms longer (0: a free link); *queue_ms is left at the next one's. */
static GstEvent *
packets_event (guint first_seqnum, guint n, guint64 first_send_ms, guint64 *queue_ms,
               guint64 growth_ms, guint size, gboolean lost)
{
  GstStructure *structure = gst_structure_new_empty ("RTPTWCCPackets");
  GValue value = G_VALUE_INIT;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  GValueArray *array = g_value_array_new (n);

  for (guint i = 0; i < n; i++)
    {
      GValue item = G_VALUE_INIT;
      guint64 send_ms = first_send_ms + 5 * i;
      guint64 arrival_ms = 1000000 + send_ms + 20 + *queue_ms;

      *queue_ms += growth_ms;

      g_value_init (&item, GST_TYPE_STRUCTURE);
      g_value_take_boxed (&item,
                          gst_structure_new ("RTPTWCCPacket", "seqnum", G_TYPE_UINT,
                                             first_seqnum + i, "local-ts", G_TYPE_UINT64,
                                             send_ms * GST_MSECOND, "remote-ts", G_TYPE_UINT64,
                                             lost ? GST_CLOCK_TIME_NONE : arrival_ms * GST_MSECOND,
                                             "payload-type", G_TYPE_UCHAR, 96, "size", G_TYPE_UINT,
                                             size, "lost", G_TYPE_BOOLEAN, lost, NULL));
      g_value_array_append (array, &item);
      g_value_unset (&item);
    }
  g_value_init (&value, g_value_array_get_type ());
  g_value_take_boxed (&value, array);
  G_GNUC_END_IGNORE_DEPRECATIONS
  gst_structure_take_value (structure, "packets", &value);
  return gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM, structure);
}

static GstEvent *
feedback_event (guint first_seqnum, guint n, guint64 first_send_ms, guint64 *queue_ms,
                guint64 growth_ms)
{
  return packets_event (first_seqnum, n, first_send_ms, queue_ms, growth_ms, 1000, FALSE);
}

/* Without feedback negotiated the loss rule alone, from the configured bitrate; with it,
 * the start bitrate. */
static void
test_start (void)
{
  g_autoptr (VsaConfig) config = config_new ();
  g_autoptr (GstElement) bin = gst_bin_new (NULL);
  VsaCodecChoice reports_only = { .codec = VSA_CODEC_H264 };
  VsaCodecChoice with_feedback = { .codec = VSA_CODEC_H264, .twcc_id = 3 };
  g_autoptr (VsaRateControl) loss = vsa_rate_control_new (config, &reports_only);
  g_autoptr (VsaRateControl) delay = vsa_rate_control_new (config, &with_feedback);

  vsa_rate_control_start (loss, bin);
  g_assert_cmpuint (vsa_rate_control_get_kbps (loss), ==, MAX_KBPS);
  vsa_rate_control_start (delay, bin);
  g_assert_cmpuint (vsa_rate_control_get_kbps (delay), ==, START_KBPS);
}

/* Feedback events: a free link lets the target rise; a queue growing by 10 ms a packet
 * (533 kbit/s getting through) brings it under the start; only the first event of a burst asks the
 * main context to take them. Other events are not feedback. */
static void
test_feedback (void)
{
  g_autoptr (VsaConfig) config = config_new ();
  g_autoptr (GstElement) bin = gst_bin_new (NULL);
  VsaCodecChoice choice = { .codec = VSA_CODEC_VP8, .twcc_id = 3 };
  g_autoptr (VsaRateControl) control = vsa_rate_control_new (config, &choice);
  g_autoptr (GstEvent) eos = gst_event_new_eos ();
  guint seqnum = 0;
  guint64 send_ms = 0;
  guint64 queue_ms = 0;

  vsa_rate_control_start (control, bin);
  g_assert_false (vsa_rate_control_take_feedback_event (control, eos));
  for (guint i = 0; i < 40; i++, seqnum += 20, send_ms += 100)
    {
      g_autoptr (GstEvent) first = feedback_event (seqnum, 10, send_ms, &queue_ms, 0);
      g_autoptr (GstEvent) second = feedback_event (seqnum + 10, 10, send_ms + 50, &queue_ms, 0);

      g_assert_true (vsa_rate_control_take_feedback_event (control, first));
      g_assert_false (vsa_rate_control_take_feedback_event (control, second));
      vsa_rate_control_handle_feedback (control, bin);
      g_usleep (10 * 1000); /* the rule's own clock: the feedback of a few seconds */
    }
  g_assert_cmpuint (vsa_rate_control_get_kbps (control), >, START_KBPS);
  g_assert_true (vsa_rate_control_uses_feedback (control));

  for (guint i = 0; i < 40; i++, seqnum += 20, send_ms += 100)
    {
      g_autoptr (GstEvent) event = feedback_event (seqnum, 20, send_ms, &queue_ms, 10);

      g_assert_true (vsa_rate_control_take_feedback_event (control, event));
      vsa_rate_control_handle_feedback (control, bin);
      g_usleep (10 * 1000);
    }
  g_assert_cmpuint (vsa_rate_control_get_kbps (control), <, START_KBPS);
}

/* 20 % loss in the browser's receiver reports: the loss rule's lower target is what the
 * encoder gets, whatever the delay rule says. */
static void
test_loss_wins (void)
{
  g_autoptr (VsaConfig) config = config_new ();
  g_autoptr (GstElement) bin = gst_bin_new (NULL);
  VsaCodecChoice choice = { .codec = VSA_CODEC_H264 };
  g_autoptr (VsaRateControl) control = vsa_rate_control_new (config, &choice);
  VsaRateControlStats stats = { .have_report = TRUE, .report = { .rtt_s = 0.02 } };

  vsa_rate_control_start (control, bin);
  for (guint i = 0; i < 3; i++)
    {
      stats.report.highest_seq += 1000;
      stats.report.packets_lost += 200;
      vsa_rate_control_handle_stats (control, bin, &stats, 0);
    }
  g_assert_cmpuint (vsa_rate_control_get_kbps (control), <, MAX_KBPS);
  g_assert_cmpfloat (vsa_rate_control_get_loss (control), >, 0.1);
  g_assert_cmpfloat (vsa_rate_control_get_rtt (control), ==, 0.02);
}

/* A probe's padding (size 0) that a full link lost is no media lost: the loss rule sees
 * none; media lost is. */
static void
test_padding_not_loss (void)
{
  g_autoptr (VsaConfig) config = config_new ();
  g_autoptr (GstElement) bin = gst_bin_new (NULL);
  VsaCodecChoice choice = { .codec = VSA_CODEC_VP8, .twcc_id = 3 };
  g_autoptr (VsaRateControl) control = vsa_rate_control_new (config, &choice);
  guint64 queue_ms = 0;

  vsa_rate_control_start (control, bin);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (GstEvent) media = packets_event (i * 100, 50, i * 500, &queue_ms, 0, 1000, FALSE);
      g_autoptr (GstEvent) padding
          = packets_event (i * 100 + 50, 50, i * 500 + 250, &queue_ms, 0, 0, TRUE);

      vsa_rate_control_take_feedback_event (control, media);
      vsa_rate_control_take_feedback_event (control, padding);
      vsa_rate_control_handle_feedback (control, bin);
    }
  g_assert_cmpfloat (vsa_rate_control_get_loss (control), ==, 0);
  {
    g_autoptr (GstEvent) lost = packets_event (300, 50, 1500, &queue_ms, 0, 1000, TRUE);

    vsa_rate_control_take_feedback_event (control, lost);
    vsa_rate_control_handle_feedback (control, bin);
  }
  g_assert_cmpfloat (vsa_rate_control_get_loss (control), >, 0.5);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vsa/rate-control/start", test_start);
  g_test_add_func ("/vsa/rate-control/feedback", test_feedback);
  g_test_add_func ("/vsa/rate-control/loss-wins", test_loss_wins);
  g_test_add_func ("/vsa/rate-control/padding-not-loss", test_padding_not_loss);
  return g_test_run ();
}
