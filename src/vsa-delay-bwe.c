/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Transport-wide feedback → arrival groups → the trend of their delay → overuse or not →
 * AIMD on the acknowledged throughput. The constants are libwebrtc goog_cc's (file and
 * name beside each), which gst-plugins-rs's rtpgccbwe follows too. */
#undef G_LOG_DOMAIN /* meson sets "vsa" for every file */
#define G_LOG_DOMAIN "vsa-delay-bwe"

#include "vsa-delay-bwe.h"

#include <math.h>

/* inter_arrival_delta.cc, delay_based_bwe.cc */
#define GROUP_LENGTH_US 5000      /* kSendTimeGroupLength: sent within 5 ms, one group */
#define BURST_ARRIVAL_US 5000     /* kBurstDeltaThreshold */
#define BURST_MAX_US 100000       /* kMaxBurstDuration */
#define CLOCK_JUMP_US 3000000     /* kArrivalTimeOffsetThreshold */
#define REORDERED_GROUPS_RESET 3  /* kReorderedResetThreshold */
#define STREAM_TIMEOUT_US 2000000 /* kStreamTimeOut */
/* trendline_estimator.cc */
#define TREND_WINDOW 20         /* kDefaultTrendlineWindowSize */
#define TREND_SMOOTHING 0.9     /* kDefaultTrendlineSmoothingCoeff */
#define TREND_GAIN 4.0          /* kDefaultTrendlineThresholdGain */
#define TREND_MIN_DELTAS 60     /* kMinNumDeltas */
#define TREND_MAX_DELTAS 1000   /* kDeltaCounterMax */
#define OVERUSE_TIME_MS 10.0    /* kOverUsingTimeThreshold */
#define THRESHOLD_START_MS 12.5 /* threshold_ */
#define THRESHOLD_K_UP 0.0087   /* k_up_ */
#define THRESHOLD_K_DOWN 0.039  /* k_down_ */
#define THRESHOLD_MIN_MS 6.0
#define THRESHOLD_MAX_MS 600.0
#define THRESHOLD_MAX_OFFSET_MS 15.0 /* kMaxAdaptOffsetMs */
#define THRESHOLD_MAX_STEP_MS 100.0  /* kMaxTimeDeltaMs */
/* aimd_rate_control.cc */
#define BETA 0.85           /* kDefaultBackoffFactor */
#define INCREASE_PER_S 1.08 /* MultiplicativeRateIncrease's alpha */
#define MIN_INCREASE_BPS 1000.0
#define INCREASE_LIMIT 1.5 /* × acknowledged, plus: */
#define INCREASE_LIMIT_EXTRA_BPS 10000.0
#define ADDITIVE_MIN_BPS_PER_S 4000.0 /* kMinIncreaseRateBpsPerSecond */
#define ADDITIVE_PACKET_BITS (1200.0 * 8)
#define ADDITIVE_FPS 30.0
#define ADDITIVE_DETECT_S 0.1 /* the overuse detector's delay, approximated */
#define DEFAULT_RTT_S 0.2     /* kDefaultRtt */
/* A queue longer than DRAIN_FREE_MS at a decrease is drained within about DRAIN_S: the
 * target goes that much further under what got through, but not under DRAIN_MIN_BETA of
 * it. 0.85 alone drains a queue at 15 % of the link: a second of queue (a link fallen
 * from 2.5 to 1 Mbit/s, its router's buffer full) took 6.7 s to drain. libwebrtc's
 * congestion window does it by holding its pacer until feedback acknowledges what is in
 * flight; here the media after the pacer (RTX) is webrtcbin's. */
#define DRAIN_FREE_MS 100.0
#define DRAIN_S 2.0
#define DRAIN_MIN_BETA 0.5
#define FLOOR_CREEP 0.0001 /* 100 ppm */
/* Ours: libwebrtc probes at 3× and 6× the start rate with padding and jumps to what
 * arrives; we have no padding, so until the first overuse the encoder's own stream ramps
 * ×2 a second (still within 1.5 × acknowledged): 300 → 2500 kbit/s in about 3 s. */
#define STARTUP_INCREASE_PER_S 2.0
/* Ours too: screen content idles between changes, a still screen sending next to
 * nothing. Before the first overuse that says nothing of the link, so while less than this
 * share of the target is sent the start-up ramp goes past 1.5 × acknowledged: the first
 * window a user opens on a fast link gets the full bitrate. Judged by what was sent, not
 * what arrived: a link that carries less than the encoder sends is no idle screen. After
 * an overuse the cap holds, as in libwebrtc. */
#define APP_LIMITED_SHARE 0.5
/* link_capacity_estimator.cc */
#define CAPACITY_ALPHA 0.05
#define CAPACITY_DEVIATION_MIN 0.4
#define CAPACITY_DEVIATION_MAX 2.5
/* The acknowledged rate: bytes that arrived over the last 500 ms of the receiver's clock
 * (the draft's 0.5–1 s), in bins so that late and reordered reports still count. */
#define ACKED_BIN_US 25000
#define ACKED_BINS 21 /* 20 complete, one filling */
#define ACKED_MIN_BINS 4
/* Seqnums recently reported received, to drop duplicates. */
#define SEEN_SLOTS 1024

typedef struct
{
  gboolean valid;
  gint64 first_send_us;
  gint64 send_us; /* the latest send time in it */
  gint64 first_arrival_us;
  gint64 complete_us; /* the latest arrival in it */
} VsaDelayBweGroup;

/* Everything judged from the delay; started afresh after a silence. */
typedef struct
{
  VsaDelayBweGroup group, prev;
  guint n_reordered;
  guint n_deltas;
  gint64 first_arrival_us;
  double accumulated_ms, smoothed_ms;
  double floor_ms; /* the smoothed delay with the queue empty: its least, creeping up */
  double x_ms[TREND_WINDOW], y_ms[TREND_WINDOW];
  guint n_window, next_window;
  double prev_trend;
  double threshold_ms;
  double overuse_ms; /* < 0: not over the threshold */
  guint overuse_count;
  gboolean threshold_updated;
  gint64 threshold_updated_us;
  VsaDelayBweUsage usage;
} VsaDelayBweDetector;

typedef enum
{
  VSA_DELAY_BWE_HOLD,
  VSA_DELAY_BWE_INCREASE,
} VsaDelayBweState;

/* Bytes over the last 500 ms, in bins so that late and reordered reports still count. */
typedef struct
{
  guint64 bytes[ACKED_BINS];
  gint64 bin[ACKED_BINS];
  gboolean have;
  gint64 first_bin, newest_bin;
} VsaDelayBweRate;

struct _VsaDelayBwe
{
  VsaDelayBweDetector detector;
  GArray *received; /* scratch: one feedback's received packets */
  gint64 seen[SEEN_SLOTS];
  VsaDelayBweRate acked; /* by arrival */
  VsaDelayBweRate sent;  /* by send time, lost packets too: is the encoder app-limited? */
  gboolean have_feedback;
  gint64 last_feedback_us;
  /* rate control */
  double target_bps, min_bps, max_bps;
  double throughput_bps; /* the last acknowledged rate known */
  double rtt_s;
  VsaDelayBweState state;
  gint64 last_change_us;
  gboolean startup; /* until the first overuse */
  gboolean have_capacity;
  double capacity_kbps, capacity_deviation;
};

static void
vsa_delay_bwe_reset_detector (VsaDelayBweDetector *detector)
{
  *detector = (VsaDelayBweDetector){ .threshold_ms = THRESHOLD_START_MS, .overuse_ms = -1 };
}

VsaDelayBwe *
vsa_delay_bwe_new (guint start_kbps, guint min_kbps, guint max_kbps)
{
  VsaDelayBwe *self = g_new0 (VsaDelayBwe, 1);

  max_kbps = MAX (max_kbps, 1);
  min_kbps = MIN (min_kbps, max_kbps);
  vsa_delay_bwe_reset_detector (&self->detector);
  self->received = g_array_new (FALSE, FALSE, sizeof (VsaDelayBwePacket));
  for (guint i = 0; i < SEEN_SLOTS; i++)
    self->seen[i] = G_MININT64;
  self->min_bps = min_kbps * 1000.0;
  self->max_bps = max_kbps * 1000.0;
  self->target_bps = self->throughput_bps = CLAMP (start_kbps, min_kbps, max_kbps) * 1000.0;
  self->rtt_s = DEFAULT_RTT_S;
  self->state = VSA_DELAY_BWE_HOLD;
  self->startup = TRUE;
  return self;
}

void
vsa_delay_bwe_free (VsaDelayBwe *self)
{
  if (self == NULL)
    return;
  g_array_unref (self->received);
  g_free (self);
}

/* The threshold follows |modified trend|: up slowly (k_up), down faster (k_down), so that
 * a jittery link is not taken for a queue, but not a sudden spike (a capacity drop). */
static void
vsa_delay_bwe_update_threshold (VsaDelayBweDetector *d, double modified, gint64 now_us)
{
  double step_ms;

  if (!d->threshold_updated)
    d->threshold_updated_us = now_us;
  d->threshold_updated = TRUE;
  if (fabs (modified) > d->threshold_ms + THRESHOLD_MAX_OFFSET_MS)
    {
      d->threshold_updated_us = now_us;
      return;
    }
  step_ms = CLAMP ((now_us - d->threshold_updated_us) / 1000.0, 0, THRESHOLD_MAX_STEP_MS);
  d->threshold_ms += (fabs (modified) < d->threshold_ms ? THRESHOLD_K_DOWN : THRESHOLD_K_UP)
                     * (fabs (modified) - d->threshold_ms) * step_ms;
  d->threshold_ms = CLAMP (d->threshold_ms, THRESHOLD_MIN_MS, THRESHOLD_MAX_MS);
  d->threshold_updated_us = now_us;
}

/* Overuse once the trend has been over the threshold for more than 10 ms and two groups,
 * and is not falling; underuse as soon as it is under -threshold. */
static void
vsa_delay_bwe_detect (VsaDelayBweDetector *d, double trend, double send_delta_ms, gint64 now_us)
{
  double modified;

  if (d->n_deltas < 2)
    {
      d->usage = VSA_DELAY_BWE_NORMAL;
      return;
    }
  /* the trend is a slope (ms of delay per ms): scaled up as the samples grow in number */
  modified = MIN (d->n_deltas, TREND_MIN_DELTAS) * trend * TREND_GAIN;
  if (modified > d->threshold_ms)
    {
      /* from the first sample over, assume half the time since the previous one */
      d->overuse_ms = d->overuse_ms < 0 ? send_delta_ms / 2 : d->overuse_ms + send_delta_ms;
      d->overuse_count++;
      if (d->overuse_ms > OVERUSE_TIME_MS && d->overuse_count > 1 && trend >= d->prev_trend)
        {
          d->overuse_ms = 0;
          d->overuse_count = 0;
          d->usage = VSA_DELAY_BWE_OVERUSE;
        }
    }
  else
    {
      d->overuse_ms = -1;
      d->overuse_count = 0;
      d->usage = modified < -d->threshold_ms ? VSA_DELAY_BWE_UNDERUSE : VSA_DELAY_BWE_NORMAL;
    }
  d->prev_trend = trend;
  vsa_delay_bwe_update_threshold (d, modified, now_us);
}

/* One group's delay variation: accumulated (the queueing delay since the first group, up
 * to a constant), smoothed, and its slope against arrival time over the last 20 groups. */
static void
vsa_delay_bwe_add_delta (VsaDelayBweDetector *d, double arrival_delta_ms, double send_delta_ms,
                         gint64 arrival_us)
{
  double trend = d->prev_trend;

  d->n_deltas = MIN (d->n_deltas + 1, TREND_MAX_DELTAS);
  if (d->n_deltas == 1)
    d->first_arrival_us = arrival_us;
  d->accumulated_ms += arrival_delta_ms - send_delta_ms;
  d->smoothed_ms = TREND_SMOOTHING * d->smoothed_ms + (1 - TREND_SMOOTHING) * d->accumulated_ms;
  /* the two clocks may drift apart by up to FLOOR_CREEP: the floor follows upwards */
  d->floor_ms = d->n_deltas == 1
                    ? d->smoothed_ms
                    : MIN (d->smoothed_ms, d->floor_ms + FLOOR_CREEP * arrival_delta_ms);
  d->x_ms[d->next_window] = (arrival_us - d->first_arrival_us) / 1000.0;
  d->y_ms[d->next_window] = d->smoothed_ms;
  d->next_window = (d->next_window + 1) % TREND_WINDOW;
  d->n_window = MIN (d->n_window + 1, TREND_WINDOW);
  if (d->n_window == TREND_WINDOW)
    {
      double x_mean = 0, y_mean = 0, num = 0, den = 0;

      for (guint i = 0; i < TREND_WINDOW; i++)
        {
          x_mean += d->x_ms[i] / TREND_WINDOW;
          y_mean += d->y_ms[i] / TREND_WINDOW;
        }
      for (guint i = 0; i < TREND_WINDOW; i++)
        {
          num += (d->x_ms[i] - x_mean) * (d->y_ms[i] - y_mean);
          den += (d->x_ms[i] - x_mean) * (d->x_ms[i] - x_mean);
        }
      if (den > 0)
        trend = num / den;
    }
  vsa_delay_bwe_detect (d, trend, send_delta_ms, arrival_us);
}

/* A packet sent right after the group's last that arrived sooner than its spacing and
 * within 5 ms belongs to it: a burst the network delivered together. */
static gboolean
vsa_delay_bwe_in_burst (const VsaDelayBweGroup *group, gint64 send_us, gint64 arrival_us)
{
  gint64 arrival_delta = arrival_us - group->complete_us;
  gint64 send_delta = send_us - group->send_us;

  return send_delta == 0
         || (arrival_delta - send_delta < 0 && arrival_delta <= BURST_ARRIVAL_US
             && arrival_us - group->first_arrival_us < BURST_MAX_US);
}

/* Packets in order of arrival. When one starts a new group, the current one is complete
 * and its delta from the one before goes to the trendline. */
static void
vsa_delay_bwe_add_packet (VsaDelayBweDetector *d, const VsaDelayBwePacket *packet)
{
  VsaDelayBweGroup *group = &d->group;

  if (group->valid && packet->send_us < group->first_send_us)
    return; /* sent before the current group: its delay says nothing new */
  if (group->valid
      && (vsa_delay_bwe_in_burst (group, packet->send_us, packet->arrival_us)
          || packet->send_us - group->first_send_us <= GROUP_LENGTH_US))
    {
      group->send_us = MAX (group->send_us, packet->send_us);
      group->complete_us = MAX (group->complete_us, packet->arrival_us);
      return;
    }
  if (group->valid && d->prev.valid)
    {
      gint64 send_delta = group->send_us - d->prev.send_us;
      gint64 arrival_delta = group->complete_us - d->prev.complete_us;

      if (ABS (arrival_delta - send_delta) >= CLOCK_JUMP_US)
        {
          /* the receiver's clock jumped (or a wrap went unseen): start the groups again */
          d->group.valid = d->prev.valid = FALSE;
          d->n_reordered = 0;
          vsa_delay_bwe_add_packet (d, packet);
          return;
        }
      if (arrival_delta < 0)
        {
          /* whole groups arrived out of order: skip them, and start again if it goes on */
          if (++d->n_reordered >= REORDERED_GROUPS_RESET)
            {
              d->group.valid = d->prev.valid = FALSE;
              d->n_reordered = 0;
              vsa_delay_bwe_add_packet (d, packet);
              return;
            }
        }
      else
        {
          d->n_reordered = 0;
          vsa_delay_bwe_add_delta (d, arrival_delta / 1000.0, send_delta / 1000.0,
                                   group->complete_us);
        }
    }
  if (group->valid)
    d->prev = *group;
  *group = (VsaDelayBweGroup){
    .valid = TRUE,
    .first_send_us = packet->send_us,
    .send_us = packet->send_us,
    .first_arrival_us = packet->arrival_us,
    .complete_us = packet->arrival_us,
  };
}

static void
vsa_delay_bwe_rate_add (VsaDelayBweRate *rate, gint64 t_us, guint size)
{
  gint64 bin = t_us / ACKED_BIN_US;
  guint slot = (guint) (((bin % ACKED_BINS) + ACKED_BINS) % ACKED_BINS);

  if (!rate->have)
    {
      rate->have = TRUE;
      rate->first_bin = rate->newest_bin = bin;
    }
  if (bin <= rate->newest_bin - ACKED_BINS)
    return;
  rate->newest_bin = MAX (rate->newest_bin, bin);
  if (rate->bin[slot] != bin)
    {
      rate->bin[slot] = bin;
      rate->bytes[slot] = 0;
    }
  rate->bytes[slot] += size;
}

/* Over the complete bins before the newest (still filling); < 0 while too few. */
static double
vsa_delay_bwe_rate_bps (const VsaDelayBweRate *rate)
{
  gint64 n = rate->have ? MIN (rate->newest_bin - rate->first_bin, ACKED_BINS - 1) : 0;
  guint64 bytes = 0;

  if (n < ACKED_MIN_BINS)
    return -1;
  for (gint64 bin = rate->newest_bin - n; bin < rate->newest_bin; bin++)
    {
      guint slot = (guint) (((bin % ACKED_BINS) + ACKED_BINS) % ACKED_BINS);

      if (rate->bin[slot] == bin)
        bytes += rate->bytes[slot];
    }
  return bytes * 8.0 * G_USEC_PER_SEC / (n * ACKED_BIN_US);
}

/* What the link carried when the queue last grew, its deviation, and ±3 deviations: near
 * it the increase is additive. */
static void
vsa_delay_bwe_capacity_bounds (const VsaDelayBwe *self, double *lower_bps, double *upper_bps)
{
  double deviation_kbps = sqrt (self->capacity_deviation * self->capacity_kbps);

  *lower_bps = MAX (0, self->capacity_kbps - 3 * deviation_kbps) * 1000;
  *upper_bps = (self->capacity_kbps + 3 * deviation_kbps) * 1000;
}

/* The queue the smoothed delay shows now, in ms. */
static double
vsa_delay_bwe_queue_ms (const VsaDelayBwe *self)
{
  return MAX (0, self->detector.smoothed_ms - self->detector.floor_ms);
}

static void
vsa_delay_bwe_decrease (VsaDelayBwe *self, double acked_bps, gint64 now_us)
{
  double drain = MAX (0, vsa_delay_bwe_queue_ms (self) - DRAIN_FREE_MS) / 1000 / DRAIN_S;
  double target = MAX (BETA - drain, DRAIN_MIN_BETA) * acked_bps;
  double lower, upper;

  if (target > self->target_bps && self->have_capacity)
    target = BETA * self->capacity_kbps * 1000;
  if (target < self->target_bps)
    self->target_bps = target;
  vsa_delay_bwe_capacity_bounds (self, &lower, &upper);
  if (self->have_capacity && acked_bps >= lower)
    {
      double error;

      self->capacity_kbps
          = (1 - CAPACITY_ALPHA) * self->capacity_kbps + CAPACITY_ALPHA * acked_bps / 1000;
      error = self->capacity_kbps - acked_bps / 1000;
      self->capacity_deviation = (1 - CAPACITY_ALPHA) * self->capacity_deviation
                                 + CAPACITY_ALPHA * error * error / MAX (self->capacity_kbps, 1);
    }
  else
    {
      /* far under what it was: the link changed, start its estimate again */
      self->have_capacity = TRUE;
      self->capacity_kbps = acked_bps / 1000;
      self->capacity_deviation = CAPACITY_DEVIATION_MIN;
    }
  self->capacity_deviation
      = CLAMP (self->capacity_deviation, CAPACITY_DEVIATION_MIN, CAPACITY_DEVIATION_MAX);
  self->startup = FALSE;
  /* hold until the queue has drained and the delay is flat again */
  self->state = VSA_DELAY_BWE_HOLD;
  self->last_change_us = now_us;
}

/* About one packet per response time (a round trip and the detector's delay, twice). */
static double
vsa_delay_bwe_additive_bps_per_s (const VsaDelayBwe *self)
{
  double frame_bits = self->target_bps / ADDITIVE_FPS;
  double packet_bits = frame_bits / ceil (MAX (frame_bits, 1) / ADDITIVE_PACKET_BITS);

  return MAX (ADDITIVE_MIN_BPS_PER_S, packet_bits / (2 * (self->rtt_s + ADDITIVE_DETECT_S)));
}

static void
vsa_delay_bwe_increase (VsaDelayBwe *self, gint64 now_us)
{
  double lower, upper;
  double limit = INCREASE_LIMIT * self->throughput_bps + INCREASE_LIMIT_EXTRA_BPS;
  double sent_bps = vsa_delay_bwe_rate_bps (&self->sent);
  double elapsed_s = (now_us - self->last_change_us) / (double) G_USEC_PER_SEC;

  if (self->startup && sent_bps >= 0 && sent_bps < APP_LIMITED_SHARE * self->target_bps)
    limit = G_MAXDOUBLE;
  vsa_delay_bwe_capacity_bounds (self, &lower, &upper);
  if (self->have_capacity && self->throughput_bps > upper)
    self->have_capacity = FALSE; /* more gets through than it did: far from it now */
  if (self->target_bps < limit)
    {
      double increase;

      if (self->have_capacity)
        increase = vsa_delay_bwe_additive_bps_per_s (self) * MAX (elapsed_s, 0);
      else
        increase = MAX (MIN_INCREASE_BPS,
                        self->target_bps
                            * (pow (self->startup ? STARTUP_INCREASE_PER_S : INCREASE_PER_S,
                                    CLAMP (elapsed_s, 0, 1))
                               - 1));
      self->target_bps = MIN (self->target_bps + increase, limit);
    }
  self->last_change_us = now_us;
}

/* After each feedback (delay_based_bwe.cc's MaybeUpdateEstimate, AimdRateControl). */
static void
vsa_delay_bwe_control (VsaDelayBwe *self, gint64 now_us)
{
  double acked_bps = vsa_delay_bwe_rate_bps (&self->acked);

  if (acked_bps >= 0)
    self->throughput_bps = acked_bps;
  switch (self->detector.usage)
    {
    case VSA_DELAY_BWE_OVERUSE:
      /* once a round trip, sooner when far less gets through than the target */
      if (now_us - self->last_change_us >= CLAMP (self->rtt_s, 0.01, 0.2) * G_USEC_PER_SEC
          || (acked_bps >= 0 && acked_bps < self->target_bps / 2))
        {
          if (acked_bps >= 0)
            vsa_delay_bwe_decrease (self, acked_bps, now_us);
          else
            {
              self->target_bps /= 2; /* nothing acknowledged yet to go by */
              self->last_change_us = now_us;
            }
        }
      break;
    case VSA_DELAY_BWE_UNDERUSE:
      self->state = VSA_DELAY_BWE_HOLD;
      break;
    case VSA_DELAY_BWE_NORMAL:
      if (self->state == VSA_DELAY_BWE_HOLD)
        {
          self->state = VSA_DELAY_BWE_INCREASE;
          self->last_change_us = now_us;
        }
      vsa_delay_bwe_increase (self, now_us);
      break;
    }
  self->target_bps = CLAMP (self->target_bps, self->min_bps, self->max_bps);
}

static gint
vsa_delay_bwe_compare_arrival (gconstpointer a, gconstpointer b)
{
  const VsaDelayBwePacket *pa = a, *pb = b;

  if (pa->arrival_us != pb->arrival_us)
    return pa->arrival_us < pb->arrival_us ? -1 : 1;
  return pa->seqnum < pb->seqnum ? -1 : pa->seqnum > pb->seqnum;
}

guint
vsa_delay_bwe_update (VsaDelayBwe *self, const VsaDelayBwePacket *packets, guint n_packets,
                      gint64 now_us)
{
  if (self->have_feedback && now_us - self->last_feedback_us > STREAM_TIMEOUT_US)
    vsa_delay_bwe_reset_detector (&self->detector);
  if (!self->have_feedback)
    self->last_change_us = now_us;
  self->have_feedback = TRUE;
  self->last_feedback_us = now_us;

  g_array_set_size (self->received, 0);
  for (guint i = 0; i < n_packets; i++)
    {
      gint64 *seen = &self->seen[(packets[i].seqnum & G_MAXINT64) % SEEN_SLOTS];

      /* a packet reported lost may come in a later feedback; one reported twice counts once;
       * padding (size 0) is a probe's, judged by vsa-bwe-probe.c */
      if (*seen == packets[i].seqnum || packets[i].size == 0)
        continue;
      if (packets[i].arrival_us == VSA_DELAY_BWE_LOST)
        {
          vsa_delay_bwe_rate_add (&self->sent, packets[i].send_us, packets[i].size);
          continue;
        }
      *seen = packets[i].seqnum;
      vsa_delay_bwe_rate_add (&self->sent, packets[i].send_us, packets[i].size);
      vsa_delay_bwe_rate_add (&self->acked, packets[i].arrival_us, packets[i].size);
      g_array_append_val (self->received, packets[i]);
    }
  if (self->received->len == 0)
    return vsa_delay_bwe_get_kbps (self);
  /* the groups are made in order of arrival (rtpsession lists them by seqnum) */
  g_array_sort (self->received, vsa_delay_bwe_compare_arrival);
  for (guint i = 0; i < self->received->len; i++)
    vsa_delay_bwe_add_packet (&self->detector,
                              &g_array_index (self->received, VsaDelayBwePacket, i));
  vsa_delay_bwe_control (self, now_us);
  return vsa_delay_bwe_get_kbps (self);
}

void
vsa_delay_bwe_set_rtt (VsaDelayBwe *self, double rtt_s)
{
  if (rtt_s > 0)
    self->rtt_s = rtt_s;
}

guint
vsa_delay_bwe_get_kbps (const VsaDelayBwe *self)
{
  return (guint) round (self->target_bps / 1000);
}

guint
vsa_delay_bwe_get_acked_kbps (const VsaDelayBwe *self)
{
  return (guint) round (MAX (vsa_delay_bwe_rate_bps (&self->acked), 0) / 1000);
}

const char *
vsa_delay_bwe_usage_to_string (VsaDelayBweUsage usage)
{
  static const char *const names[] = { "normal", "overuse", "underuse" };

  return names[usage];
}

VsaDelayBweUsage
vsa_delay_bwe_get_usage (const VsaDelayBwe *self)
{
  return self->detector.usage;
}

double
vsa_delay_bwe_get_threshold_ms (const VsaDelayBwe *self)
{
  return self->detector.threshold_ms;
}

double
vsa_delay_bwe_get_queue_ms (const VsaDelayBwe *self)
{
  return vsa_delay_bwe_queue_ms (self);
}

void
vsa_delay_bwe_set_probed (VsaDelayBwe *self, guint kbps, gint64 now_us)
{
  self->target_bps = CLAMP (MAX (self->target_bps, kbps * 1000.0), self->min_bps, self->max_bps);
  self->have_capacity = FALSE;
  self->state = VSA_DELAY_BWE_INCREASE;
  self->last_change_us = now_us;
}

/* The value of raw + k × period nearest the highest so far: reports come late by far less
 * than half a period. Starts again (the estimator sees a clock jump) before it could
 * overflow on a peer's nonsense. */
static gint64
vsa_delay_bwe_unwrap (gboolean *have, gint64 *highest, gint64 raw, gint64 period)
{
  gint64 diff;

  if (!*have || *highest > G_MAXINT64 / 4)
    {
      *have = TRUE;
      *highest = raw;
      return raw;
    }
  diff = (raw - *highest) % period;
  if (diff > period / 2)
    diff -= period;
  else if (diff < -period / 2)
    diff += period;
  raw = *highest + diff;
  *highest = MAX (*highest, raw);
  return raw;
}

gint64
vsa_delay_bwe_unwrap_seqnum (VsaDelayBweUnwrapper *self, guint16 seqnum)
{
  return vsa_delay_bwe_unwrap (&self->have_seqnum, &self->seqnum, seqnum, G_MAXUINT16 + 1);
}

gint64
vsa_delay_bwe_unwrap_remote (VsaDelayBweUnwrapper *self, guint64 remote_ns)
{
  return vsa_delay_bwe_unwrap (&self->have_remote, &self->remote_ns,
                               (gint64) MIN (remote_ns, G_MAXINT64 / 4),
                               VSA_DELAY_BWE_REMOTE_WRAP_NS);
}

/* The @i-th of rtpsession's packets, NULL past the end: a GValueArray in 1.22, a type
 * deprecated since (so a GstValueList too). */
static const GValue *
vsa_delay_bwe_nth_packet (const GValue *list, guint i)
{
  const GValue *value = NULL;

  if (GST_VALUE_HOLDS_LIST (list))
    return i < gst_value_list_get_size (list) ? gst_value_list_get_value (list, i) : NULL;
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS;
  if (G_VALUE_HOLDS (list, g_value_array_get_type ()) && g_value_get_boxed (list) != NULL
      && i < ((GValueArray *) g_value_get_boxed (list))->n_values)
    value = g_value_array_get_nth (g_value_get_boxed (list), i);
  G_GNUC_END_IGNORE_DEPRECATIONS;
  return value;
}

/* rtpstats.c's rtp_twcc_stats_get_packets_structure () in 1.22: seqnum (uint), local-ts
 * and remote-ts (uint64 ns, GST_CLOCK_TIME_NONE when unknown), size (uint), lost. */
gboolean
vsa_delay_bwe_parse_event (VsaDelayBweUnwrapper *unwrapper, GstEvent *event, GArray *packets)
{
  const GstStructure *structure = gst_event_get_structure (event);
  const GValue *list, *value;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CUSTOM_UPSTREAM || structure == NULL
      || !gst_structure_has_name (structure, "RTPTWCCPackets")
      || (list = gst_structure_get_value (structure, "packets")) == NULL)
    return FALSE;
  for (guint i = 0; (value = vsa_delay_bwe_nth_packet (list, i)) != NULL; i++)
    {
      const GstStructure *s;
      guint seqnum, size;
      guint64 local_ns, remote_ns = GST_CLOCK_TIME_NONE;
      gboolean lost = FALSE;
      VsaDelayBwePacket packet;

      if (!GST_VALUE_HOLDS_STRUCTURE (value) || (s = gst_value_get_structure (value)) == NULL
          || !gst_structure_get_uint (s, "seqnum", &seqnum)
          || !gst_structure_get_uint64 (s, "local-ts", &local_ns) || local_ns > G_MAXINT64 / 4
          || !gst_structure_get_uint (s, "size", &size))
        continue;
      gst_structure_get_uint64 (s, "remote-ts", &remote_ns);
      gst_structure_get_boolean (s, "lost", &lost);
      packet.seqnum = vsa_delay_bwe_unwrap_seqnum (unwrapper, (guint16) seqnum);
      packet.send_us = (gint64) local_ns / 1000;
      packet.size = size;
      packet.arrival_us = lost || remote_ns > G_MAXINT64 / 4
                              ? VSA_DELAY_BWE_LOST
                              : vsa_delay_bwe_unwrap_remote (unwrapper, remote_ns) / 1000;
      g_array_append_val (packets, packet);
    }
  return TRUE;
}
