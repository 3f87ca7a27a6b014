/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* When to probe, at what rate, and what a probe's feedback says. The constants that have
 * a libwebrtc counterpart (probe_controller.cc, probe_bitrate_estimator.cc) name it. */
#undef G_LOG_DOMAIN /* meson sets "vsa" for every file */
#define G_LOG_DOMAIN "vsa-bwe-probe"

#include "vsa-bwe-probe.h"

#include <math.h>

/* A large drop: the target under this share of the highest rate carried over the last
 * 5 s: acknowledged, and no more than the target then. libwebrtc's
 * kBitrateDropThreshold is 0.66; here the drain after an overuse alone goes to 0.5 ×
 * what got through, and a link that never carried more (600 kbit/s from a start at 800)
 * is no drop: probed, it showed a free moment of a screen at rest as room. */
#define DROP_RATIO 0.5
#define HIGH_BIN_US G_USEC_PER_SEC
#define HIGH_BINS 5 /* the highest of each of the last 5 s */
/* Probing stops once the target is back at this share of that rate, or this long after
 * the drop: a link that stays slow is not probed for ever. */
#define RECOVERED_RATIO 0.9
#define REFERENCE_MAX_AGE_US (60 * G_USEC_PER_SEC)
/* Twice the target (libwebrtc's further probes: 2 × the last result), or twice the most
 * acknowledged since the drop if more; at most the rate before the drop. */
#define PROBE_GAIN 2.0
#define PROBE_MIN_PACKETS 5 /* kMinProbePacketsSent */
/* The first probe a second after the drop; after one that found no room, twice as long
 * as before, up to 4 s: a link that came back is found within about 4 s, and one that
 * did not pays a 40 ms burst every 4 s. */
#define INTERVAL_MIN_US G_USEC_PER_SEC
#define INTERVAL_MAX_US (4 * G_USEC_PER_SEC)
/* Only with the delay flat and no more than this much queue: a probe into a queue that
 * still drains measures the queue. */
#define PROBE_MAX_QUEUE_MS 30.0
/* A probe's packets reported within this long, or it is judged on what was reported
 * (kMaxClusterHistory's spirit; libwebrtc waits 1 s for a result too). */
#define PROBE_TIMEOUT_US G_USEC_PER_SEC
/* Judged on enough of its packets (kMinReceivedProbesRatio) ... */
#define MIN_RECEIVED_RATIO 0.8
/* ... and over the second half of them by send order: the first half may go through at
 * line rate while a router's token bucket empties, and says nothing of the link's rate.
 * Arriving slower than this share of how fast they left, the link was full
 * (kMinRatioForUnsaturatedLink). */
#define UNSATURATED_RATIO 0.9
/* A probe asks whether the link has changed since the drop: it goes at twice the most
 * the link acknowledged since the drop at least, and counts only if it found 1.5 times
 * that. Under it the delay rule's own increase is the way up: probes that found room
 * there (VP8 dropping frames had left the link idle at the minimum target) sent the
 * target to the dropped link's full rate, VP8's next frames over it, and the target back
 * to the minimum, every few seconds (Firefox, 19 freezes over 500 ms in the drop). And a
 * router's token bucket lets a few kB through at any rate (tbf's burst: 3 kB at 1
 * Mbit/s, 24 ms of the link): probes "found" 1101–1226 kbit/s on that 1 Mbit/s link. The
 * delay rule's capacity estimate is no measure of it: decreases while VP8 stalled took
 * it down to 76 kbit/s. */
#define LINK_CHANGED_RATIO 1.5
/* The receiver's clock counts in 250 µs (TWCC's delta unit). */
#define ARRIVAL_RESOLUTION_US 250

struct _VsaBweProbe
{
  /* the highest rate carried (acknowledged, within the target) in each of the last
   * seconds, and which second (now / HIGH_BIN_US) each slot holds */
  double high_kbps[HIGH_BINS];
  gint64 high_bin[HIGH_BINS];
  /* after a large drop: the rate before it, and when it was seen (0: no drop to recover),
   * and the most acknowledged since */
  double reference_kbps;
  gint64 reference_us;
  double down_kbps;
  gint64 next_us;     /* no probe before then */
  gint64 interval_us; /* the wait after a probe that found no room */
  /* the probe awaited */
  gboolean pending;
  guint n_packets;
  gint64 started_us;
  GArray *packets; /* VsaDelayBwePacket: its packets reported so far */
};

VsaBweProbe *
vsa_bwe_probe_new (void)
{
  VsaBweProbe *self = g_new0 (VsaBweProbe, 1);

  self->interval_us = INTERVAL_MIN_US;
  self->packets = g_array_new (FALSE, FALSE, sizeof (VsaDelayBwePacket));
  return self;
}

void
vsa_bwe_probe_free (VsaBweProbe *self)
{
  if (self == NULL)
    return;
  g_array_unref (self->packets);
  g_free (self);
}

/* Keeps a probe packet once, its arrival if a later feedback has it after all. */
static void
vsa_bwe_probe_add (VsaBweProbe *self, const VsaDelayBwePacket *packet)
{
  for (guint i = 0; i < self->packets->len; i++)
    {
      VsaDelayBwePacket *kept = &g_array_index (self->packets, VsaDelayBwePacket, i);

      if (kept->seqnum == packet->seqnum)
        {
          if (kept->arrival_us == VSA_DELAY_BWE_LOST)
            kept->arrival_us = packet->arrival_us;
          return;
        }
    }
  g_array_append_vals (self->packets, packet, 1);
}

static gint
vsa_bwe_probe_compare_seqnum (gconstpointer a, gconstpointer b)
{
  const VsaDelayBwePacket *pa = a, *pb = b;

  return pa->seqnum < pb->seqnum ? -1 : pa->seqnum > pb->seqnum;
}

/* The rate the probe's packets arrived at, kbit/s, when the link had room for them; 0
 * when it was full or too few of them arrived. */
static double
vsa_bwe_probe_judge (VsaBweProbe *self)
{
  g_autoptr (GArray) received = g_array_new (FALSE, FALSE, sizeof (VsaDelayBwePacket));
  gint64 first_send, last_send, first_arrival = G_MAXINT64, last_arrival = G_MININT64;
  double bits, send_kbps, arrival_kbps;
  guint half;

  for (guint i = 0; i < self->packets->len; i++)
    if (g_array_index (self->packets, VsaDelayBwePacket, i).arrival_us != VSA_DELAY_BWE_LOST)
      g_array_append_val (received, g_array_index (self->packets, VsaDelayBwePacket, i));
  if (received->len < MAX (MIN_RECEIVED_RATIO * self->n_packets, 4))
    return 0;
  g_array_sort (received, vsa_bwe_probe_compare_seqnum);
  half = received->len / 2;
  first_send = g_array_index (received, VsaDelayBwePacket, half).send_us;
  last_send = g_array_index (received, VsaDelayBwePacket, received->len - 1).send_us;
  for (guint i = half; i < received->len; i++)
    {
      first_arrival
          = MIN (first_arrival, g_array_index (received, VsaDelayBwePacket, i).arrival_us);
      last_arrival = MAX (last_arrival, g_array_index (received, VsaDelayBwePacket, i).arrival_us);
    }
  /* n packets span n - 1 gaps */
  bits = (received->len - half - 1) * VSA_BWE_PROBE_PADDING * 8.0;
  send_kbps = bits * 1000 / MAX (last_send - first_send, 1);
  arrival_kbps = bits * 1000 / MAX (last_arrival - first_arrival, ARRIVAL_RESOLUTION_US);
  g_debug ("probe: %u of %u packets arrived; %.0f kbit/s sent, %.0f arrived", received->len,
           self->n_packets, send_kbps, arrival_kbps);
  if (arrival_kbps < UNSATURATED_RATIO * send_kbps)
    return 0;
  return MIN (send_kbps, arrival_kbps);
}

guint
vsa_bwe_probe_update (VsaBweProbe *self, VsaDelayBwe *delay, const VsaDelayBwePacket *packets,
                      guint n_packets, gint64 now_us)
{
  double target = vsa_delay_bwe_get_kbps (delay);
  /* what got through, as far as it was meant to: a keyframe's burst may arrive at many
   * times the target, a ramp's target may never have got through */
  double carried = MIN (vsa_delay_bwe_get_acked_kbps (delay), target);
  gint64 bin = now_us / HIGH_BIN_US;
  guint slot = (guint) (bin % HIGH_BINS);
  double found, high = 0;

  if (self->high_bin[slot] != bin)
    {
      self->high_bin[slot] = bin;
      self->high_kbps[slot] = 0;
    }
  self->high_kbps[slot] = MAX (self->high_kbps[slot], carried);
  for (guint i = 0; i < HIGH_BINS; i++)
    if (bin - self->high_bin[i] < HIGH_BINS)
      high = MAX (high, self->high_kbps[i]);
  if (target < DROP_RATIO * high && high > self->reference_kbps)
    {
      if (self->reference_us == 0)
        {
          self->interval_us = INTERVAL_MIN_US;
          self->next_us = now_us + self->interval_us;
          self->down_kbps = 0;
        }
      self->reference_kbps = high;
      self->reference_us = now_us;
    }
  else if (self->reference_us != 0
           && (target >= RECOVERED_RATIO * self->reference_kbps
               || now_us - self->reference_us > REFERENCE_MAX_AGE_US))
    self->reference_kbps = self->reference_us = 0;

  if (self->reference_us != 0)
    self->down_kbps = MAX (self->down_kbps, vsa_delay_bwe_get_acked_kbps (delay));

  if (!self->pending)
    return 0;
  for (guint i = 0; i < n_packets; i++)
    if (packets[i].size == 0)
      vsa_bwe_probe_add (self, &packets[i]);
  if (self->packets->len < self->n_packets && now_us - self->started_us < PROBE_TIMEOUT_US)
    return 0;

  self->pending = FALSE;
  found = vsa_bwe_probe_judge (self);
  if (found <= target || found < LINK_CHANGED_RATIO * self->down_kbps)
    {
      /* no room (or no more than the target already takes): wait longer next time */
      self->interval_us = MIN (self->interval_us * 2, INTERVAL_MAX_US);
      self->next_us = now_us + self->interval_us;
      return 0;
    }
  /* room: probe further at once, up to the rate before the drop (which may be over the
   * maximum the target can reach: then this was the last) */
  self->interval_us = INTERVAL_MIN_US;
  self->next_us = now_us;
  if (found >= RECOVERED_RATIO * self->reference_kbps)
    self->reference_kbps = self->reference_us = 0;
  vsa_delay_bwe_set_probed (delay, (guint) found, now_us);
  return (guint) found;
}

guint
vsa_bwe_probe_next (VsaBweProbe *self, const VsaDelayBwe *delay, gint64 now_us, guint *n_packets)
{
  double kbps;

  *n_packets = 0;
  if (self->reference_us == 0 || self->pending || now_us < self->next_us
      || vsa_delay_bwe_get_usage (delay) != VSA_DELAY_BWE_NORMAL
      || vsa_delay_bwe_get_queue_ms (delay) > PROBE_MAX_QUEUE_MS
      || vsa_delay_bwe_get_kbps (delay) >= RECOVERED_RATIO * self->reference_kbps)
    return 0;
  kbps = MIN (self->reference_kbps,
              MAX (PROBE_GAIN * vsa_delay_bwe_get_kbps (delay), PROBE_GAIN * self->down_kbps));
  *n_packets = MAX (PROBE_MIN_PACKETS, (guint) ceil (kbps * 1000 / 8 * VSA_BWE_PROBE_DURATION_US
                                                     / G_USEC_PER_SEC / VSA_BWE_PROBE_PADDING));
  self->pending = TRUE;
  self->n_packets = *n_packets;
  self->started_us = now_us;
  g_array_set_size (self->packets, 0);
  return (guint) kbps;
}

void
vsa_bwe_probe_cancel (VsaBweProbe *self, gint64 now_us)
{
  self->pending = FALSE;
  self->next_us = now_us + self->interval_us;
}
