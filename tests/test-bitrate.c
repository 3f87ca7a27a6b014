/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for vsa-bitrate: the loss- and RTT-driven target bitrate. */

#include <glib.h>

#include "vsa-bitrate.h"

#define MIN_KBPS 300
#define MAX_KBPS 2500
#define SECOND G_USEC_PER_SEC

/* Feeds reports one second apart, each covering @packets packets of which @lost were
 * lost, with round-trip time @rtt_s. */
typedef struct
{
  VsaBitrate bitrate;
  VsaBitrateReport report;
  gint64 now;
} Feed;

static void
feed_init (Feed *feed)
{
  vsa_bitrate_init (&feed->bitrate, MIN_KBPS, MAX_KBPS);
  feed->report = (VsaBitrateReport){ .highest_seq = 1000, .packets_lost = 0, .rtt_s = 0.02 };
  feed->now = 100 * SECOND;
  /* the first report is where the first interval starts */
  g_assert_cmpuint (vsa_bitrate_update (&feed->bitrate, &feed->report, feed->now), ==, MAX_KBPS);
}

static guint
feed (Feed *feed, guint packets, guint lost, double rtt_s)
{
  feed->now += SECOND;
  feed->report.highest_seq += packets;
  feed->report.packets_lost += lost;
  feed->report.rtt_s = rtt_s;
  return vsa_bitrate_update (&feed->bitrate, &feed->report, feed->now);
}

static void
test_start (void)
{
  VsaBitrate bitrate;

  vsa_bitrate_init (&bitrate, MIN_KBPS, MAX_KBPS);
  g_assert_cmpuint (vsa_bitrate_get_kbps (&bitrate), ==, MAX_KBPS);
  g_assert_cmpfloat (vsa_bitrate_get_loss (&bitrate), ==, 0);
  /* a floor above the ceiling is the ceiling */
  vsa_bitrate_init (&bitrate, 5000, 1000);
  g_assert_cmpuint (vsa_bitrate_get_kbps (&bitrate), ==, 1000);
  g_assert_cmpuint (bitrate.min_kbps, ==, 1000);
}

/* Over 10 % loss: down to (1 - loss/2) of the target, per report. */
static void
test_decrease (void)
{
  Feed f;

  feed_init (&f);
  g_assert_cmpuint (feed (&f, 100, 20, 0.02), ==, 2250);
  g_assert_cmpfloat_with_epsilon (vsa_bitrate_get_loss (&f.bitrate), 0.2, 1e-9);
  g_assert_cmpuint (feed (&f, 100, 50, 0.02), ==, 1688);
  g_assert_cmpuint (feed (&f, 100, 11, 0.02), ==, 1595);
}

/* 2 % to 10 %: neither up nor down. */
static void
test_hold (void)
{
  Feed f;

  feed_init (&f);
  feed (&f, 100, 40, 0.02);
  g_assert_cmpuint (vsa_bitrate_get_kbps (&f.bitrate), ==, 2000);
  g_assert_cmpuint (feed (&f, 100, 2, 0.02), ==, 2000);
  g_assert_cmpuint (feed (&f, 100, 10, 0.02), ==, 2000);
  g_assert_cmpuint (feed (&f, 1000, 50, 0.02), ==, 2000);
}

/* Under 2 %: up 8 % a second plus 1 kbit/s, scaled by the time since the last report
 * judged, two seconds at most. */
static void
test_increase (void)
{
  Feed f;

  feed_init (&f);
  feed (&f, 100, 40, 0.02); /* 2000 */
  g_assert_cmpuint (feed (&f, 100, 1, 0.02), ==, 2161);
  g_assert_cmpuint (feed (&f, 100, 0, 0.02), ==, 2335);

  /* half a second: half the step */
  feed_init (&f);
  feed (&f, 100, 40, 0.02);
  f.now -= SECOND / 2;
  g_assert_cmpuint (feed (&f, 100, 0, 0.02), ==, 2081);

  /* a report after a long silence is worth two seconds, no more */
  feed_init (&f);
  feed (&f, 100, 40, 0.02);
  f.now += 60 * SECOND;
  g_assert_cmpuint (feed (&f, 100, 0, 0.02), ==, 2322);
}

static void
test_bounds (void)
{
  Feed f;

  feed_init (&f);
  for (int i = 0; i < 100; i++)
    g_assert_cmpuint (feed (&f, 100, 60, 0.02), >=, MIN_KBPS);
  g_assert_cmpuint (vsa_bitrate_get_kbps (&f.bitrate), ==, MIN_KBPS);
  for (int i = 0; i < 100; i++)
    g_assert_cmpuint (feed (&f, 100, 0, 0.02), <=, MAX_KBPS);
  g_assert_cmpuint (vsa_bitrate_get_kbps (&f.bitrate), ==, MAX_KBPS);
  /* every packet lost, or more lost than sent (a receiver's duplicates make the count
   * odd): still the floor, never below */
  for (int i = 0; i < 20; i++)
    g_assert_cmpuint (feed (&f, 100, 250, 0.02), >=, MIN_KBPS);
  g_assert_cmpuint (vsa_bitrate_get_kbps (&f.bitrate), ==, MIN_KBPS);
}

/* From the floor back to 90 % of the ceiling within half a minute of clean reports. */
static void
test_recovery_time (void)
{
  Feed f;
  guint seconds = 0;

  feed_init (&f);
  while (vsa_bitrate_get_kbps (&f.bitrate) > MIN_KBPS)
    feed (&f, 100, 60, 0.02);
  while (vsa_bitrate_get_kbps (&f.bitrate) < MAX_KBPS * 9 / 10)
    {
      feed (&f, 100, 0, 0.02);
      seconds++;
    }
  g_test_message ("%u → %u kbps in %u s", MIN_KBPS, vsa_bitrate_get_kbps (&f.bitrate), seconds);
  g_assert_cmpuint (seconds, >=, 20);
  g_assert_cmpuint (seconds, <=, 30);
}

/* The same report polled again (no new packets) is no new information. */
static void
test_same_report (void)
{
  Feed f;

  feed_init (&f);
  feed (&f, 100, 40, 0.02);
  for (int i = 0; i < 5; i++)
    g_assert_cmpuint (feed (&f, 0, 0, 0.02), ==, 2000);
}

/* A loss fraction over fewer than 20 packets waits until there are enough. */
static void
test_few_packets (void)
{
  Feed f;

  feed_init (&f);
  g_assert_cmpuint (feed (&f, 10, 5, 0.02), ==, MAX_KBPS);
  g_assert_cmpuint (feed (&f, 5, 0, 0.02), ==, MAX_KBPS);
  /* 30 packets, 6 lost: 20 % */
  g_assert_cmpuint (feed (&f, 15, 1, 0.02), ==, 2250);
}

/* The extended sequence number wraps at 2^32; one that jumps backwards is a new stream. */
static void
test_sequence (void)
{
  Feed f;

  feed_init (&f);
  f.report.highest_seq = G_MAXUINT32 - 40;
  vsa_bitrate_init (&f.bitrate, MIN_KBPS, MAX_KBPS);
  vsa_bitrate_update (&f.bitrate, &f.report, f.now);
  g_assert_cmpuint (feed (&f, 100, 20, 0.02), ==, 2250);
  g_assert_cmpuint (f.report.highest_seq, <, 100);

  f.report.highest_seq -= 3000000;
  g_assert_cmpuint (feed (&f, 0, 0, 0.02), ==, 2250); /* backwards: a new start */
  g_assert_cmpuint (feed (&f, 100, 20, 0.02), ==, 2025);
}

/* The RTT over its recent minimum is a queue: over 50 ms no increase, over 100 ms back
 * off by 0.85. Unknown RTTs (no sender report yet) count for nothing. */
static void
test_rtt (void)
{
  Feed f;

  feed_init (&f);
  feed (&f, 100, 40, 0.02);                             /* 2000 */
  g_assert_cmpuint (feed (&f, 100, 0, 0.06), ==, 2161); /* 40 ms of queue: still up */
  g_assert_cmpuint (feed (&f, 100, 0, 0.08), ==, 2161); /* 60 ms: hold */
  g_assert_cmpfloat_with_epsilon (vsa_bitrate_get_queue_delay (&f.bitrate), 0.06, 1e-9);
  g_assert_cmpuint (feed (&f, 100, 0, 0.15), ==, 1837);  /* 130 ms: back off */
  g_assert_cmpuint (feed (&f, 100, 40, 0.15), ==, 1469); /* loss and queue: the larger cut */
  g_assert_cmpuint (feed (&f, 100, 0, -1), ==, 1588);    /* unknown: loss alone decides */
  g_assert_cmpfloat (vsa_bitrate_get_queue_delay (&f.bitrate), ==, 0);

  /* the minimum forgets after VSA_BITRATE_RTT_WINDOW reports: a longer path is the path */
  feed_init (&f);
  feed (&f, 100, 0, 0.02);
  for (int i = 0; i < VSA_BITRATE_RTT_WINDOW; i++)
    feed (&f, 100, 0, 0.3);
  g_assert_cmpuint (vsa_bitrate_get_kbps (&f.bitrate), <, MAX_KBPS);
  for (int i = 0; i < 100; i++)
    feed (&f, 100, 0, 0.3);
  g_assert_cmpuint (vsa_bitrate_get_kbps (&f.bitrate), ==, MAX_KBPS);
}

/* Transport-wide feedback totals at @now: @packets more of which @lost more were lost. */
static guint
feedback (Feed *feed, VsaBitrateFeedback *totals, guint packets, guint lost, gint64 now)
{
  totals->packets += packets;
  totals->lost += lost;
  return vsa_bitrate_update_feedback (&feed->bitrate, totals, now);
}

#define MS 1000

/* Feedback judges loss as soon as it covers 20 packets, a tenth of a second in here, but
 * goes down at most once per 300 ms; meanwhile the receiver reports' loss is not used. */
static void
test_feedback_loss (void)
{
  Feed f;
  VsaBitrateFeedback totals = { 1000, 10 };
  gint64 t;

  feed_init (&f);
  t = f.now;
  g_assert_false (vsa_bitrate_uses_feedback (&f.bitrate, t));
  g_assert_cmpuint (feedback (&f, &totals, 0, 0, t), ==, MAX_KBPS); /* where it starts */
  g_assert_true (vsa_bitrate_uses_feedback (&f.bitrate, t));
  g_assert_cmpuint (feedback (&f, &totals, 19, 4, t += 100 * MS), ==, MAX_KBPS); /* too few */
  g_assert_cmpuint (feedback (&f, &totals, 31, 6, t += 100 * MS), ==, 2250);     /* 10 of 50 */
  g_assert_cmpfloat_with_epsilon (vsa_bitrate_get_loss (&f.bitrate), 0.2, 1e-9);
  g_assert_cmpuint (feedback (&f, &totals, 50, 10, t += 100 * MS), ==, 2250); /* too soon */
  g_assert_cmpuint (feedback (&f, &totals, 50, 10, t += 100 * MS), ==, 2250);
  g_assert_cmpuint (feedback (&f, &totals, 50, 10, t += 100 * MS), ==, 2025); /* 300 ms on */
  /* a receiver report's loss changes nothing while feedback comes */
  f.now = t;
  g_assert_cmpuint (feed (&f, 100, 50, 0.02), ==, 2025);
  g_assert_cmpuint (feedback (&f, &totals, 50, 2, t += 100 * MS), ==, 2025); /* 4 %: hold */
}

/* Increases follow the time elapsed, not the number of judgements: ten a second go up as
 * much as one a second does (within compounding). */
static void
test_feedback_increase (void)
{
  Feed f;
  VsaBitrateFeedback totals = { 0, 0 };
  gint64 t;

  feed_init (&f);
  feed (&f, 100, 40, 0.02); /* 2000 */
  t = f.now;
  feedback (&f, &totals, 0, 0, t);
  for (int i = 0; i < 10; i++)
    feedback (&f, &totals, 20, 0, t += 100 * MS);
  g_assert_cmpuint (vsa_bitrate_get_kbps (&f.bitrate), >=, 2161);
  g_assert_cmpuint (vsa_bitrate_get_kbps (&f.bitrate), <=, 2168);
}

/* The receiver reports still bring the round-trip time: a standing queue backs off (once
 * per report) and holds the feedback's increases. */
static void
test_feedback_queue (void)
{
  Feed f;
  VsaBitrateFeedback totals = { 0, 0 };
  guint kbps;

  feed_init (&f);
  feed (&f, 100, 0, 0.02); /* the RTT's minimum */
  feedback (&f, &totals, 0, 0, f.now);
  g_assert_cmpuint (feed (&f, 100, 0, 0.15), ==, 2125); /* 130 ms of queue */
  g_assert_cmpuint (feedback (&f, &totals, 50, 0, f.now + 100 * MS), ==, 2125);
  g_assert_cmpuint (feedback (&f, &totals, 50, 0, f.now + 500 * MS), ==, 2125);
  kbps = feed (&f, 100, 0, 0.02); /* the queue drained */
  g_assert_cmpuint (kbps, ==, 2125);
  g_assert_cmpuint (feedback (&f, &totals, 50, 0, f.now + 500 * MS), >, kbps);
}

/* A probe that found room lifts the target, never lowers it, and the round trips before
 * it no longer make the minimum: the reports that still carry the queue's round trip
 * (their sender report waited in it) cut nothing. */
static void
test_probed (void)
{
  Feed f;

  feed_init (&f);
  feed (&f, 100, 0, 0.02);                              /* the RTT's minimum */
  g_assert_cmpuint (feed (&f, 100, 0, 0.15), ==, 2125); /* 130 ms of queue */
  vsa_bitrate_set_probed (&f.bitrate, 1000);
  g_assert_cmpuint (vsa_bitrate_get_kbps (&f.bitrate), ==, 2125);
  feed (&f, 100, 40, 0.02);                             /* 40 % loss: 1700 */
  g_assert_cmpuint (feed (&f, 100, 0, 0.15), ==, 1445); /* 130 ms of queue */
  vsa_bitrate_set_probed (&f.bitrate, 2400);
  g_assert_cmpuint (vsa_bitrate_get_kbps (&f.bitrate), ==, 2400);
  g_assert_cmpuint (feed (&f, 100, 0, 0.15), >=, 2400); /* the same stale round trip */
  g_assert_cmpuint (feed (&f, 100, 0, 0.15), >=, 2400);
  g_assert_cmpuint (feed (&f, 100, 0, 0.02), >=, 2400);
  g_assert_cmpuint (feed (&f, 100, 0, 0.15), <, 2400); /* a queue again */
  vsa_bitrate_set_probed (&f.bitrate, 5000);
  g_assert_cmpuint (vsa_bitrate_get_kbps (&f.bitrate), ==, MAX_KBPS);
}

/* Feedback that stops (renegotiated away, or lost with the path) hands loss back to the
 * receiver reports after VSA_BITRATE_FEEDBACK_STALE_US; totals that restart start over. */
static void
test_feedback_stale (void)
{
  Feed f;
  VsaBitrateFeedback totals = { 5000, 100 };

  feed_init (&f);
  feedback (&f, &totals, 0, 0, f.now);
  g_assert_cmpuint (feed (&f, 100, 20, 0.02), ==, MAX_KBPS); /* feedback's to judge */
  g_assert_true (vsa_bitrate_uses_feedback (&f.bitrate, f.now));
  g_assert_false (vsa_bitrate_uses_feedback (&f.bitrate, f.now + SECOND));
  g_assert_cmpuint (feed (&f, 100, 20, 0.02), ==, 2250); /* 2 s without */

  totals = (VsaBitrateFeedback){ 0, 0 };
  g_assert_cmpuint (feedback (&f, &totals, 10, 10, f.now + 100 * MS), ==, 2250); /* a start */
  g_assert_cmpuint (feedback (&f, &totals, 100, 20, f.now + 400 * MS), ==, 2025);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vsa/bitrate/start", test_start);
  g_test_add_func ("/vsa/bitrate/decrease", test_decrease);
  g_test_add_func ("/vsa/bitrate/hold", test_hold);
  g_test_add_func ("/vsa/bitrate/increase", test_increase);
  g_test_add_func ("/vsa/bitrate/bounds", test_bounds);
  g_test_add_func ("/vsa/bitrate/recovery-time", test_recovery_time);
  g_test_add_func ("/vsa/bitrate/same-report", test_same_report);
  g_test_add_func ("/vsa/bitrate/few-packets", test_few_packets);
  g_test_add_func ("/vsa/bitrate/sequence", test_sequence);
  g_test_add_func ("/vsa/bitrate/rtt", test_rtt);
  g_test_add_func ("/vsa/bitrate/probed", test_probed);
  g_test_add_func ("/vsa/bitrate/feedback/loss", test_feedback_loss);
  g_test_add_func ("/vsa/bitrate/feedback/increase", test_feedback_increase);
  g_test_add_func ("/vsa/bitrate/feedback/queue", test_feedback_queue);
  g_test_add_func ("/vsa/bitrate/feedback/stale", test_feedback_stale);
  return g_test_run ();
}
