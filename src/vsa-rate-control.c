/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The browser's receiver reports and transport-wide feedback → the encoder's target
 * bitrate. The session owns the get-stats loop and carries what arrives on webrtcbin's and
 * rtpsession's threads to the main context; this file reads it there and steers the
 * encoder with the lower of two rules: loss and round trip (vsa-bitrate.c), and the
 * packets' delay (vsa-delay-bwe.c) while transport-wide feedback comes, both lifted by a
 * probe (vsa-bwe-probe.c) that finds the link has come back after a large drop. */
#undef G_LOG_DOMAIN /* meson sets "vsa" for every file */
#define G_LOG_DOMAIN "vsa-rate-control"

#include "vsa-rate-control.h"

#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#include "vsa-bwe-probe.h"
#include "vsa-delay-bwe.h"
#include "vsa-pipeline.h"

/* A change of the target this large (or reaching a bound) is logged; the rest only
 * with --verbose. Under steady 20 % loss that is a line every 2 s or so. */
#define BITRATE_LOG_CHANGE 0.2
/* Without transport-wide feedback for this long the delay rule has nothing to go on: the
 * loss rule alone steers (from the start, the first feedback is awaited this long). */
#define FEEDBACK_STALE_US VSA_BITRATE_FEEDBACK_STALE_US

struct _VsaRateControl
{
  const VsaConfig *config;
  VsaCodec codec;
  VsaBitrate bitrate;    /* the loss rule */
  VsaDelayBwe *delay;    /* the delay rule; NULL when the browser sends no feedback */
  VsaBweProbe *probe;    /* its probes after a large drop; with it */
  gint64 delay_until_us; /* the delay rule steers until then */
  GMutex feedback_lock;  /* guards the four below: feedback arrives on RTCP threads */
  VsaBitrateFeedback feedback;
  VsaDelayBweUnwrapper unwrapper;
  GArray *feedback_packets; /* VsaDelayBwePacket, since the main context last took them */
  gboolean feedback_posted; /* the main context is to take them */
  guint applied_kbps;       /* what the encoder was last told */
  guint logged_kbps;        /* what the last log line said */
  double last_rtt_s;        /* the last receiver report's, for logs and metrics */
};

VsaRateControl *
vsa_rate_control_new (const VsaConfig *config, const VsaCodecChoice *choice)
{
  VsaRateControl *self = g_new0 (VsaRateControl, 1);

  self->config = config;
  self->codec = choice->codec;
  vsa_bitrate_init (&self->bitrate, config->min_bitrate_kbps, config->bitrate_kbps);
  /* the pipeline's encoder starts at the configured bitrate */
  self->applied_kbps = self->logged_kbps = config->bitrate_kbps;
  if (choice->twcc_id != 0)
    {
      self->delay = vsa_delay_bwe_new (config->start_bitrate_kbps, config->min_bitrate_kbps,
                                       config->bitrate_kbps);
      self->probe = vsa_bwe_probe_new ();
    }
  self->last_rtt_s = -1;
  self->feedback_packets = g_array_new (FALSE, FALSE, sizeof (VsaDelayBwePacket));
  g_mutex_init (&self->feedback_lock);
  return self;
}

void
vsa_rate_control_free (VsaRateControl *self)
{
  vsa_delay_bwe_free (self->delay);
  vsa_bwe_probe_free (self->probe);
  g_array_unref (self->feedback_packets);
  g_mutex_clear (&self->feedback_lock);
  g_free (self);
}

/* The first stats of @type in the reply, and of @ssrc unless that is 0. */
static const GstStructure *
vsa_rate_control_find_stats (const GstStructure *reply, GstWebRTCStatsType type, guint ssrc)
{
  for (int i = 0; i < gst_structure_n_fields (reply); i++)
    {
      const GValue *value
          = gst_structure_get_value (reply, gst_structure_nth_field_name (reply, i));
      const GstStructure *stats;
      GstWebRTCStatsType stats_type;
      guint stats_ssrc = 0;

      if (!GST_VALUE_HOLDS_STRUCTURE (value))
        continue;
      stats = gst_value_get_structure (value);
      if (gst_structure_get (stats, "type", GST_TYPE_WEBRTC_STATS_TYPE, &stats_type, NULL)
          && stats_type == type && gst_structure_get_uint (stats, "ssrc", &stats_ssrc)
          && (ssrc == 0 || stats_ssrc == ssrc))
        return stats;
    }
  return NULL;
}

/* Our one video stream's outbound-rtp stats and the remote-inbound-rtp ones of its SSRC:
 * what the browser's last receiver report said about it (gstwebrtcstats.c in 1.22; the
 * outbound's "remote-id" is only there when webrtcbin happened to build the remote one
 * first, so match the SSRC). */
void
vsa_rate_control_read_stats (const GstStructure *reply, VsaRateControlStats *out)
{
  const GstStructure *outbound
      = vsa_rate_control_find_stats (reply, GST_WEBRTC_STATS_OUTBOUND_RTP, 0);
  const GstStructure *remote = NULL;
  g_autoptr (GstStructure) source = NULL;
  guint ssrc = 0;
  guint lsr = 0;
  guint count = 0;

  *out = (VsaRateControlStats){ 0 };
  if (outbound == NULL)
    return;
  gst_structure_get_uint64 (outbound, "bytes-sent", &out->bytes_sent);
  gst_structure_get_uint (outbound, "ssrc", &ssrc);
  /* the browser's keyframe requests, as rtpsession counted them (1.22: pli-count, fir-count) */
  if (gst_structure_get_uint (outbound, "pli-count", &count))
    out->keyframe_requests += count;
  if (gst_structure_get_uint (outbound, "fir-count", &count))
    out->keyframe_requests += count;
  remote = vsa_rate_control_find_stats (reply, GST_WEBRTC_STATS_REMOTE_INBOUND_RTP, ssrc);
  if (remote == NULL)
    return;
  gst_structure_get (remote, "gst-rtpsource-stats", GST_TYPE_STRUCTURE, &source, NULL);
  out->have_report
      = source != NULL
        && gst_structure_get_uint (source, "rb-exthighestseq", &out->report.highest_seq)
        && gst_structure_get_int64 (remote, "packets-lost", &out->report.packets_lost);
  /* without the time of our last sender report (LSR) the receiver measures no round trip */
  if (source == NULL || !gst_structure_get_uint (source, "rb-lsr", &lsr) || lsr == 0
      || !gst_structure_get_double (remote, "round-trip-time", &out->report.rtt_s))
    out->report.rtt_s = -1;
  if (!gst_structure_get_double (remote, "jitter", &out->jitter_s))
    out->jitter_s = 0;
}

/* Once per transport-wide feedback packet: rtpsession sends the packets it accounts for
 * upstream towards the payloader (for bandwidth estimators), each with when it was sent
 * and when it arrived, or lost. Kept until the main context takes them, so that it may
 * take several feedbacks at once. Read from that event, not from rtpsession's
 * "twcc-stats": its getter takes the session lock, which the session holds while it
 * deactivates the RTCP pad we would be called from. */
gboolean
vsa_rate_control_take_feedback_event (VsaRateControl *self, GstEvent *event)
{
  const GstStructure *structure = gst_event_get_structure (event);
  const GValue *packets;
  guint n, lost = 0, padding = 0;
  gboolean post;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CUSTOM_UPSTREAM
      || !gst_structure_has_name (structure, "RTPTWCCPackets")
      || (packets = gst_structure_get_value (structure, "packets")) == NULL
      || g_strcmp0 (G_VALUE_TYPE_NAME (packets), "GValueArray") != 0)
    return FALSE;
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS /* GValueArray: what rtpsession puts there */
      n
      = ((GValueArray *) g_value_get_boxed (packets))->n_values;
  for (guint i = 0; i < n; i++)
    {
      const GValue *packet = g_value_array_get_nth (g_value_get_boxed (packets), i);
      gboolean packet_lost = FALSE;
      guint size = 0;

      if (!GST_VALUE_HOLDS_STRUCTURE (packet))
        continue;
      /* a probe's padding (size 0) is no media: a probe into a full link loses it */
      if (gst_structure_get_uint (gst_value_get_structure (packet), "size", &size) && size == 0)
        padding++;
      else if (gst_structure_get_boolean (gst_value_get_structure (packet), "lost", &packet_lost)
               && packet_lost)
        lost++;
    }
  G_GNUC_END_IGNORE_DEPRECATIONS
  g_mutex_lock (&self->feedback_lock);
  self->feedback.packets += n - padding;
  self->feedback.lost += lost;
  if (self->delay != NULL)
    vsa_delay_bwe_parse_event (&self->unwrapper, event, self->feedback_packets);
  post = !self->feedback_posted;
  self->feedback_posted = TRUE;
  g_mutex_unlock (&self->feedback_lock);
  return post;
}

/* The lower of the two rules; the delay rule only while its feedback comes. */
static guint
vsa_rate_control_target (VsaRateControl *self, gint64 now)
{
  guint kbps = vsa_bitrate_get_kbps (&self->bitrate);

  if (self->delay != NULL && now < self->delay_until_us)
    kbps = MIN (kbps, vsa_delay_bwe_get_kbps (self->delay));
  return kbps;
}

static void
vsa_rate_control_apply (VsaRateControl *self, GstElement *pipeline, gint64 now)
{
  guint kbps = vsa_rate_control_target (self, now);
  gboolean far, bound;

  if (kbps == self->applied_kbps)
    return;
  vsa_pipeline_set_bitrate (pipeline, self->codec, kbps);
  self->applied_kbps = kbps;

  far = ABS ((double) kbps - self->logged_kbps) >= BITRATE_LOG_CHANGE * self->logged_kbps;
  bound = kbps == self->config->min_bitrate_kbps || kbps == self->config->bitrate_kbps;
  if ((!far && !bound) || kbps == self->logged_kbps)
    return;
  if (self->delay != NULL && now < self->delay_until_us)
    g_message ("session %s: bitrate %u -> %u kbps (loss %.0f %%, rtt %.0f ms; delay %s, %u kbps "
               "acknowledged)",
               self->config->session_id, self->logged_kbps, kbps,
               vsa_bitrate_get_loss (&self->bitrate) * 100, MAX (self->last_rtt_s, 0) * 1000,
               vsa_delay_bwe_usage_to_string (vsa_delay_bwe_get_usage (self->delay)),
               vsa_delay_bwe_get_acked_kbps (self->delay));
  else
    g_message ("session %s: bitrate %u -> %u kbps (loss %.0f %%, rtt %.0f ms)",
               self->config->session_id, self->logged_kbps, kbps,
               vsa_bitrate_get_loss (&self->bitrate) * 100, MAX (self->last_rtt_s, 0) * 1000);
  self->logged_kbps = kbps;
}

void
vsa_rate_control_start (VsaRateControl *self, GstElement *pipeline)
{
  gint64 now = g_get_monotonic_time ();

  /* the first feedback comes a frame or two after the first packets */
  self->delay_until_us = now + FEEDBACK_STALE_US;
  vsa_rate_control_apply (self, pipeline, now);
}

/* The browser's receiver reports steer the encoder: see vsa-bitrate.c for how. */
void
vsa_rate_control_handle_stats (VsaRateControl *self, GstElement *pipeline,
                               const VsaRateControlStats *stats, guint sent_kbps)
{
  gint64 now = g_get_monotonic_time ();
  guint kbps;

  if (!stats->have_report)
    return;
  self->last_rtt_s = stats->report.rtt_s;
  if (self->delay != NULL && stats->report.rtt_s >= 0)
    vsa_delay_bwe_set_rtt (self->delay, stats->report.rtt_s);
  kbps = vsa_bitrate_update (&self->bitrate, &stats->report, now);
  g_debug ("session %s: receiver report: highest seq %u, lost %" G_GINT64_FORMAT
           ", rtt %.1f ms, jitter %.1f ms; interval loss %.1f %%%s, queueing %.0f ms; sending "
           "%u kbps, loss rule %u kbps",
           self->config->session_id, stats->report.highest_seq, stats->report.packets_lost,
           stats->report.rtt_s * 1000, stats->jitter_s * 1000,
           vsa_bitrate_get_loss (&self->bitrate) * 100,
           vsa_bitrate_uses_feedback (&self->bitrate, now) ? " (transport-wide)" : "",
           vsa_bitrate_get_queue_delay (&self->bitrate) * 1000, sent_kbps, kbps);
  vsa_rate_control_apply (self, pipeline, now);
}

/* After a large drop, probes ask whether the link has come back (vsa-bwe-probe.c); one
 * that finds room lifts both rules to what it found. */
static void
vsa_rate_control_probe (VsaRateControl *self, GstElement *pipeline, GArray *packets, gint64 now)
{
  guint found = vsa_bwe_probe_update (self->probe, self->delay,
                                      (const VsaDelayBwePacket *) packets->data, packets->len, now);
  guint kbps, n_packets;

  if (found > 0)
    {
      g_message ("session %s: a probe found %u kbps", self->config->session_id, found);
      vsa_bitrate_set_probed (&self->bitrate, found);
    }
  kbps = vsa_bwe_probe_next (self->probe, self->delay, now, &n_packets);
  if (kbps == 0)
    return;
  if (vsa_pipeline_probe (pipeline, kbps, n_packets))
    g_debug ("session %s: probing at %u kbps (target %u)", self->config->session_id, kbps,
             vsa_delay_bwe_get_kbps (self->delay));
  else
    vsa_bwe_probe_cancel (self->probe, now);
}

/* The feedback taken since the last call: loss for the loss rule, the packets' delay for
 * the delay rule. */
void
vsa_rate_control_handle_feedback (VsaRateControl *self, GstElement *pipeline)
{
  gint64 now = g_get_monotonic_time ();
  g_autoptr (GArray) packets = NULL;
  VsaBitrateFeedback totals;
  guint loss_kbps;

  g_mutex_lock (&self->feedback_lock);
  totals = self->feedback;
  packets = g_steal_pointer (&self->feedback_packets);
  self->feedback_packets = g_array_new (FALSE, FALSE, sizeof (VsaDelayBwePacket));
  self->feedback_posted = FALSE;
  g_mutex_unlock (&self->feedback_lock);

  loss_kbps = vsa_bitrate_update_feedback (&self->bitrate, &totals, now);
  if (self->delay != NULL && packets->len > 0)
    {
      vsa_delay_bwe_update (self->delay, (const VsaDelayBwePacket *) packets->data, packets->len,
                            now);
      self->delay_until_us = now + FEEDBACK_STALE_US;
      vsa_rate_control_probe (self, pipeline, packets, now);
    }
  g_debug ("session %s: transport-wide feedback: %" G_GUINT64_FORMAT " packets, %" G_GUINT64_FORMAT
           " lost; interval loss %.1f %%, loss rule %u kbps, delay rule %u kbps (%s, threshold "
           "%.1f ms, %u kbps acknowledged)",
           self->config->session_id, totals.packets, totals.lost,
           vsa_bitrate_get_loss (&self->bitrate) * 100, loss_kbps,
           self->delay != NULL ? vsa_delay_bwe_get_kbps (self->delay) : 0,
           self->delay != NULL
               ? vsa_delay_bwe_usage_to_string (vsa_delay_bwe_get_usage (self->delay))
               : "off",
           self->delay != NULL ? vsa_delay_bwe_get_threshold_ms (self->delay) : 0,
           self->delay != NULL ? vsa_delay_bwe_get_acked_kbps (self->delay) : 0);
  vsa_rate_control_apply (self, pipeline, now);
}

guint
vsa_rate_control_get_kbps (VsaRateControl *self)
{
  return self->applied_kbps;
}

double
vsa_rate_control_get_rtt (VsaRateControl *self)
{
  return self->last_rtt_s;
}

double
vsa_rate_control_get_loss (VsaRateControl *self)
{
  return vsa_bitrate_get_loss (&self->bitrate);
}

gboolean
vsa_rate_control_uses_feedback (VsaRateControl *self)
{
  return vsa_bitrate_uses_feedback (&self->bitrate, g_get_monotonic_time ());
}
