/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vsa-bitrate.h"

/* Under 2 % loss the path has room: go up. Over 10 % we are (or meet) congestion: go
 * down. In between: hold, as loss that low is as likely the link's own as ours. These
 * are GCC's thresholds (draft-ietf-rmcat-gcc-02 section 6; libwebrtc uses the same). */
#define LOSS_LOW 0.02
#define LOSS_HIGH 0.10
/* Up by 8 % per second plus 1 kbit/s, libwebrtc's ramp (the extra kbit/s keeps the low
 * end from sticking): 300 → 2500 kbit/s takes about half a minute, slow enough not to
 * flood a link that just lost packets, quick enough that a blip is soon forgotten. */
#define INCREASE_PER_S 0.08
#define INCREASE_KBPS_PER_S 1.0
/* An increase covers at most this long: a report after a silence is no licence to jump. */
#define MAX_STEP_S 2.0
/* A loss fraction over fewer packets is noise (1 lost of 10 is 10 %): libwebrtc waits
 * for 20 too. At 30 fps every report has more. */
#define MIN_PACKETS 20
/* Queueing delay is the RTT over its minimum in the last VSA_BITRATE_RTT_WINDOW reports
 * (about 30 s: long enough to have seen the queue empty, short enough to follow a route
 * change). Over 50 ms (a frame and a half at 30 fps) a queue is building: no increase.
 * Over 100 ms it stands: back off by GCC's delay-based factor, 0.85, before the buffer
 * overflows into loss. Wi-Fi jitter of a few tens of ms stays under both. */
#define QUEUE_HOLD_S 0.05
#define QUEUE_BACKOFF_S 0.10
#define QUEUE_BACKOFF 0.85
/* With loss judged several times a second, one loss episode must not compound: down at
 * most once per 300 ms, libwebrtc's kBweDecreaseInterval (it adds the RTT; ours is ms). */
#define DECREASE_INTERVAL_US (300 * 1000)
/* A sequence number that went backwards (by over 2^30) is a new stream, not loss. */
#define MAX_EXPECTED (1u << 30)

void
vsa_bitrate_init (VsaBitrate *self, guint min_kbps, guint max_kbps)
{
  *self = (VsaBitrate){ 0 };
  self->max_kbps = MAX (max_kbps, 1);
  self->min_kbps = CLAMP (min_kbps, 1, self->max_kbps);
  self->target_kbps = self->max_kbps;
}

static void
vsa_bitrate_rebase (VsaBitrate *self, const VsaBitrateReport *report, gint64 now_us)
{
  self->have_base = TRUE;
  self->base_seq = report->highest_seq;
  self->base_lost = report->packets_lost;
  self->last_step_us = now_us;
}

/* The RTT over its recent minimum, this report's included; 0 when unknown. */
static double
vsa_bitrate_queue_delay (VsaBitrate *self, double rtt_s)
{
  double min_rtt = rtt_s;

  if (rtt_s < 0)
    return 0;
  self->rtts[self->next_rtt] = rtt_s;
  self->next_rtt = (self->next_rtt + 1) % VSA_BITRATE_RTT_WINDOW;
  self->n_rtts = MIN (self->n_rtts + 1, VSA_BITRATE_RTT_WINDOW);
  for (guint i = 0; i < self->n_rtts; i++)
    min_rtt = MIN (min_rtt, self->rtts[i]);
  return rtt_s - min_rtt;
}

gboolean
vsa_bitrate_uses_feedback (const VsaBitrate *self, gint64 now_us)
{
  return self->last_feedback_us != 0
         && now_us - self->last_feedback_us < VSA_BITRATE_FEEDBACK_STALE_US;
}

/* Steps the target on an interval's loss (< 0: none judged, only a fresh queue delay) and
 * the queueing delay; @queue_fresh: that delay was just measured, so it may back off. */
static void
vsa_bitrate_step (VsaBitrate *self, double loss, gboolean queue_fresh, gint64 now_us)
{
  double factor = 1.0;

  if (loss > LOSS_HIGH)
    factor = 1.0 - 0.5 * loss;
  if (queue_fresh && self->queue_s > QUEUE_BACKOFF_S)
    factor = MIN (factor, QUEUE_BACKOFF);
  if (factor < 1.0)
    {
      if (self->last_decrease_us == 0 || now_us - self->last_decrease_us >= DECREASE_INTERVAL_US)
        {
          self->target_kbps *= factor;
          self->last_decrease_us = now_us;
        }
    }
  else if (loss >= 0 && loss < LOSS_LOW && self->queue_s <= QUEUE_HOLD_S)
    {
      double elapsed_s
          = CLAMP ((now_us - self->last_step_us) / (double) G_USEC_PER_SEC, 0, MAX_STEP_S);

      self->target_kbps = self->target_kbps * (1.0 + INCREASE_PER_S * elapsed_s)
                          + INCREASE_KBPS_PER_S * elapsed_s;
    }
  if (loss >= 0)
    self->last_step_us = now_us;
  self->target_kbps = CLAMP (self->target_kbps, self->min_kbps, self->max_kbps);
}

guint
vsa_bitrate_update (VsaBitrate *self, const VsaBitrateReport *report, gint64 now_us)
{
  guint32 expected;
  gint64 lost;
  double loss;
  gboolean by_feedback = vsa_bitrate_uses_feedback (self, now_us);

  if (!self->have_base)
    {
      vsa_bitrate_rebase (self, report, now_us);
      return vsa_bitrate_get_kbps (self);
    }
  expected = report->highest_seq - self->base_seq; /* wraps as the sequence does */
  if (expected == 0 || expected > MAX_EXPECTED)
    {
      if (expected != 0)
        vsa_bitrate_rebase (self, report, now_us);
      return vsa_bitrate_get_kbps (self);
    }
  if (expected < MIN_PACKETS)
    return vsa_bitrate_get_kbps (self);

  lost = CLAMP (report->packets_lost - self->base_lost, 0, (gint64) expected);
  loss = (double) lost / expected;
  self->queue_s = vsa_bitrate_queue_delay (self, report->rtt_s);
  /* the feedback judges loss (and its own increases); the interval still starts here, so
   * that stale feedback hands over to the reports cleanly */
  self->base_seq = report->highest_seq;
  self->base_lost = report->packets_lost;
  if (by_feedback)
    {
      vsa_bitrate_step (self, -1, TRUE, now_us);
      return vsa_bitrate_get_kbps (self);
    }
  self->loss = loss;
  vsa_bitrate_step (self, loss, TRUE, now_us);
  return vsa_bitrate_get_kbps (self);
}

guint
vsa_bitrate_update_feedback (VsaBitrate *self, const VsaBitrateFeedback *feedback, gint64 now_us)
{
  guint64 expected;
  guint64 lost;

  /* increases count from the first feedback, or the first after a silence, not from the
   * last receiver report */
  if (!vsa_bitrate_uses_feedback (self, now_us))
    self->last_step_us = now_us;
  self->last_feedback_us = now_us;
  /* the first totals, or totals that restarted (a new stream), start an interval */
  if (!self->have_feedback_base || feedback->packets < self->base_packets
      || feedback->lost < self->base_packets_lost)
    {
      self->have_feedback_base = TRUE;
      self->base_packets = feedback->packets;
      self->base_packets_lost = feedback->lost;
      return vsa_bitrate_get_kbps (self);
    }
  expected = feedback->packets - self->base_packets;
  if (expected < MIN_PACKETS)
    return vsa_bitrate_get_kbps (self);
  lost = MIN (feedback->lost - self->base_packets_lost, expected);
  self->base_packets = feedback->packets;
  self->base_packets_lost = feedback->lost;
  self->loss = (double) lost / expected;
  vsa_bitrate_step (self, self->loss, FALSE, now_us);
  return vsa_bitrate_get_kbps (self);
}

void
vsa_bitrate_set_probed (VsaBitrate *self, guint kbps)
{
  self->target_kbps = CLAMP (MAX (self->target_kbps, kbps), self->min_kbps, self->max_kbps);
  /* The round trips so far are of a queue the probe found gone: a receiver report goes on
   * giving the round trip of the last sender report it had, which may have waited in that
   * queue (seconds ago, with a report a second from Firefox and fewer sender reports).
   * Judged against the old minimum it would cut the target again and again. */
  self->n_rtts = 0;
  self->next_rtt = 0;
  self->queue_s = 0;
}

guint
vsa_bitrate_get_kbps (const VsaBitrate *self)
{
  return (guint) (self->target_kbps + 0.5);
}

double
vsa_bitrate_get_loss (const VsaBitrate *self)
{
  return self->loss;
}

double
vsa_bitrate_get_queue_delay (const VsaBitrate *self)
{
  return self->queue_s;
}
