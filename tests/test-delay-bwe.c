/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for vsa-delay-bwe (and vsa-bwe-probe's probes with it): an encoder that follows the
 * target sends through a simulated bottleneck (its rate and buffer) to a receiver that sends
 * transport-wide feedback every 100 ms; the tests assert what the estimator decides. */

#include <gst/gst.h>
#include <math.h>

#include "vsa-bwe-probe.h"
#include "vsa-delay-bwe.h"

#define MS 1000
#define SECOND G_USEC_PER_SEC
#define FRAME_US (SECOND / 30)
#define PACKET_BYTES 1200
#define PROPAGATION_US (20 * MS)
#define FEEDBACK_US (100 * MS)
/* the receiver's clock counts from elsewhere */
#define RECEIVER_ORIGIN_US (G_GINT64_CONSTANT (3) * 3600 * SECOND)

typedef struct
{
  gint64 now;
  guint kbps;
  guint acked_kbps;
  VsaDelayBweUsage usage;
  gint64 queue_us;
} Step;

typedef struct
{
  VsaDelayBwe *bwe;
  gint64 now;           /* our clock */
  double capacity_kbps; /* the bottleneck; 0: none */
  gint64 buffer_bytes;  /* its buffer; 0: unbounded */
  gint64 link_free;     /* when it will have sent what it holds */
  GArray *in_flight;    /* VsaDelayBwePacket, arrival on our clock, not reported yet */
  gint64 seqnum;
  gint64 next_frame, next_feedback;
  guint n_feedback;
  guint n_frames;
  /* faults */
  guint lose_every;        /* every so many packets lost on the way */
  guint late_every;        /* every so many packets arrive after the next ones, */
  gint64 late_us;          /* by this much */
  guint keyframe_every;    /* every so many frames ten times the size */
  guint app_limited_kbps;  /* the encoder sends no more than this (a still screen); 0: none */
  gint64 receiver_jump_us; /* added to the receiver's clock */
  guint drop_feedback_every;
  gboolean duplicate;  /* every feedback twice */
  gboolean via_events; /* through rtpsession's event, its remote time wrapping */
  gint64 remote_offset_ns;
  VsaDelayBweUnwrapper unwrapper;
  GArray *steps; /* Step, one per feedback */
  /* probes after a large drop, sent as vsapacer would; NULL: none */
  VsaBweProbe *probe;
  guint n_probes, n_probes_found;
  gint64 last_probe_us;
  guint probe_left; /* packets of the probe in progress */
  gint64 probe_next, probe_gap_us;
  gint64 probe_gaps_us[64]; /* the time between each probe and the one before */
} Sim;

static void
sim_init (Sim *sim, guint start_kbps, guint max_kbps, double capacity_kbps)
{
  *sim = (Sim){ 0 };
  sim->bwe = vsa_delay_bwe_new (start_kbps, 50, max_kbps);
  sim->capacity_kbps = capacity_kbps;
  sim->now = 1000 * SECOND;
  sim->next_frame = sim->next_feedback = sim->now;
  sim->in_flight = g_array_new (FALSE, FALSE, sizeof (VsaDelayBwePacket));
  sim->steps = g_array_new (FALSE, FALSE, sizeof (Step));
}

static void
sim_clear (Sim *sim)
{
  vsa_delay_bwe_free (sim->bwe);
  vsa_bwe_probe_free (sim->probe);
  g_array_unref (sim->in_flight);
  g_array_unref (sim->steps);
}

static gint64
sim_queue_us (Sim *sim)
{
  return MAX (sim->link_free - sim->now, 0);
}

/* One packet of @size (as the feedback gives it) and @link_bytes through the bottleneck. */
static void
sim_send_packet (Sim *sim, gint64 send, guint size, guint link_bytes)
{
  VsaDelayBwePacket packet = { .seqnum = sim->seqnum++, .send_us = send, .size = size };

  packet.arrival_us = send + PROPAGATION_US;
  if (sim->capacity_kbps > 0)
    {
      gint64 start = MAX (send, sim->link_free);

      if (sim->buffer_bytes > 0
          && (start - send) * sim->capacity_kbps / 8000 + link_bytes > sim->buffer_bytes)
        packet.arrival_us = VSA_DELAY_BWE_LOST; /* the router's buffer is full */
      else
        {
          sim->link_free = start + link_bytes * 8000 / sim->capacity_kbps;
          packet.arrival_us = sim->link_free + PROPAGATION_US;
        }
    }
  if (sim->lose_every > 0 && packet.seqnum % sim->lose_every == 0)
    packet.arrival_us = VSA_DELAY_BWE_LOST;
  else if (sim->late_every > 0 && packet.seqnum % sim->late_every == 0
           && packet.arrival_us != VSA_DELAY_BWE_LOST)
    packet.arrival_us += sim->late_us;
  g_array_append_val (sim->in_flight, packet);
}

/* A frame of the target's size, in packets sent 20 µs apart (rtpsession's send times). */
static void
sim_send_frame (Sim *sim)
{
  guint kbps = vsa_delay_bwe_get_kbps (sim->bwe);
  gint64 left;

  if (sim->app_limited_kbps > 0)
    kbps = MIN (kbps, sim->app_limited_kbps);
  left = (gint64) kbps * 1000 / 8 * FRAME_US / SECOND;

  if (sim->keyframe_every > 0 && sim->n_frames % sim->keyframe_every == 0)
    left *= 10;

  for (gint64 send = sim->now; left > 0; send += 20)
    {
      guint size = MIN (left, PACKET_BYTES);

      left -= size;
      sim_send_packet (sim, send, size, size);
    }
  sim->n_frames++;
}

/* A probe's next padding packet (size 0 in the feedback, as rtpsession reports them;
 * padding and headers on the link). */
static void
sim_send_probe_packet (Sim *sim)
{
  sim_send_packet (sim, sim->now, 0, VSA_BWE_PROBE_PADDING + 20);
  sim->probe_next += sim->probe_gap_us;
  sim->probe_left--;
}

/* rtpsession's event for @packets as 1.22 builds it (rtpstats.c): remote-ts on the
 * receiver's clock in 250 µs steps, its 24-bit reference time wrapping. */
static GstEvent *
make_event (const VsaDelayBwePacket *packets, guint n, gint64 remote_offset_ns)
{
  GstStructure *structure = gst_structure_new_empty ("RTPTWCCPackets");
  GValue value = G_VALUE_INIT;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  GValueArray *array = g_value_array_new (n);

  for (guint i = 0; i < n; i++)
    {
      GValue item = G_VALUE_INIT;
      guint64 remote = GST_CLOCK_TIME_NONE;

      if (packets[i].arrival_us != VSA_DELAY_BWE_LOST)
        remote = ((packets[i].arrival_us * 1000 + remote_offset_ns) / (250 * 1000) * (250 * 1000))
                 % VSA_DELAY_BWE_REMOTE_WRAP_NS;
      g_value_init (&item, GST_TYPE_STRUCTURE);
      g_value_take_boxed (
          &item, gst_structure_new ("RTPTWCCPacket", "seqnum", G_TYPE_UINT,
                                    (guint) (packets[i].seqnum & 0xffff), "local-ts", G_TYPE_UINT64,
                                    (guint64) packets[i].send_us * 1000, "remote-ts", G_TYPE_UINT64,
                                    remote, "payload-type", G_TYPE_UCHAR, 96, "size", G_TYPE_UINT,
                                    packets[i].size, "lost", G_TYPE_BOOLEAN,
                                    packets[i].arrival_us == VSA_DELAY_BWE_LOST, NULL));
      g_value_array_append (array, &item);
      g_value_unset (&item);
    }
  g_value_init (&value, g_value_array_get_type ());
  g_value_take_boxed (&value, array);
  G_GNUC_END_IGNORE_DEPRECATIONS
  gst_structure_take_value (structure, "packets", &value);
  return gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM, structure);
}

static void
sim_deliver (Sim *sim, GArray *report)
{
  g_autoptr (GArray) parsed = g_array_new (FALSE, FALSE, sizeof (VsaDelayBwePacket));
  GArray *packets = report;
  Step step;

  if (sim->via_events)
    {
      g_autoptr (GstEvent) event
          = make_event ((VsaDelayBwePacket *) report->data, report->len, sim->remote_offset_ns);

      g_assert_true (vsa_delay_bwe_parse_event (&sim->unwrapper, event, parsed));
      g_assert_cmpuint (parsed->len, ==, report->len);
      packets = parsed;
    }
  for (guint i = 0; i < (sim->duplicate ? 2 : 1); i++)
    vsa_delay_bwe_update (sim->bwe, (VsaDelayBwePacket *) packets->data, packets->len, sim->now);
  if (sim->probe != NULL)
    {
      guint n, kbps;

      if (vsa_bwe_probe_update (sim->probe, sim->bwe, (VsaDelayBwePacket *) packets->data,
                                packets->len, sim->now)
          > 0)
        sim->n_probes_found++;
      kbps = vsa_bwe_probe_next (sim->probe, sim->bwe, sim->now, &n);
      if (kbps > 0)
        {
          if (sim->n_probes < G_N_ELEMENTS (sim->probe_gaps_us))
            sim->probe_gaps_us[sim->n_probes] = sim->now - sim->last_probe_us;
          sim->n_probes++;
          sim->last_probe_us = sim->now;
          sim->probe_left = n;
          sim->probe_next = sim->now;
          sim->probe_gap_us = (gint64) VSA_BWE_PROBE_PADDING * 8000 / kbps;
        }
    }
  step = (Step){
    .now = sim->now,
    .kbps = vsa_delay_bwe_get_kbps (sim->bwe),
    .acked_kbps = vsa_delay_bwe_get_acked_kbps (sim->bwe),
    .usage = vsa_delay_bwe_get_usage (sim->bwe),
    .queue_us = sim_queue_us (sim),
  };
  g_array_append_val (sim->steps, step);
}

/* Every packet up to the last one that has arrived, in seqnum order; those not there
 * (lost, or late: those come again in a later feedback) reported lost. */
static void
sim_feedback (Sim *sim)
{
  g_autoptr (GArray) report = g_array_new (FALSE, FALSE, sizeof (VsaDelayBwePacket));
  g_autoptr (GArray) kept = g_array_new (FALSE, FALSE, sizeof (VsaDelayBwePacket));
  gint last = -1;

  for (guint i = 0; i < sim->in_flight->len; i++)
    {
      VsaDelayBwePacket *p = &g_array_index (sim->in_flight, VsaDelayBwePacket, i);

      if (p->arrival_us != VSA_DELAY_BWE_LOST && p->arrival_us <= sim->now)
        last = i;
    }
  for (guint i = 0; i < sim->in_flight->len; i++)
    {
      VsaDelayBwePacket p = g_array_index (sim->in_flight, VsaDelayBwePacket, i);
      gboolean arrived = p.arrival_us != VSA_DELAY_BWE_LOST && p.arrival_us <= sim->now;

      if ((gint) i > last)
        {
          g_array_append_val (kept, p);
          continue;
        }
      if (!arrived && p.arrival_us != VSA_DELAY_BWE_LOST)
        g_array_append_val (kept, p);
      if (arrived)
        p.arrival_us += RECEIVER_ORIGIN_US + sim->receiver_jump_us;
      else
        p.arrival_us = VSA_DELAY_BWE_LOST;
      g_array_append_val (report, p);
    }
  g_array_set_size (sim->in_flight, 0);
  g_array_append_vals (sim->in_flight, kept->data, kept->len);
  sim->n_feedback++;
  if (report->len == 0
      || (sim->drop_feedback_every > 0 && sim->n_feedback % sim->drop_feedback_every == 0))
    return;
  sim_deliver (sim, report);
}

static void
sim_run (Sim *sim, gint64 duration_us)
{
  gint64 end = sim->now + duration_us;

  while (MIN (sim->next_frame, sim->next_feedback) < end)
    {
      if (sim->probe_left > 0 && sim->probe_next <= MIN (sim->next_frame, sim->next_feedback))
        {
          sim->now = sim->probe_next;
          sim_send_probe_packet (sim);
        }
      else if (sim->next_frame <= sim->next_feedback)
        {
          sim->now = sim->next_frame;
          sim_send_frame (sim);
          sim->next_frame += FRAME_US;
        }
      else
        {
          sim->now = sim->next_feedback;
          sim_feedback (sim);
          sim->next_feedback += FEEDBACK_US;
        }
    }
  sim->now = end;
}

static const Step *
sim_step (Sim *sim, guint i)
{
  return &g_array_index (sim->steps, Step, i);
}

/* The first step from @from on with @usage, or -1. */
static gint
sim_find_usage (Sim *sim, guint from, VsaDelayBweUsage usage)
{
  for (guint i = from; i < sim->steps->len; i++)
    if (sim_step (sim, i)->usage == usage)
      return i;
  return -1;
}

/* The first step from @from on at @kbps or more, or -1. */
static gint
sim_find_kbps (Sim *sim, guint from, guint kbps)
{
  for (guint i = from; i < sim->steps->len; i++)
    if (sim_step (sim, i)->kbps >= kbps)
      return i;
  return -1;
}

/* A ramp never outruns 1.5 × what was acknowledged (+ 10 kbit/s at low rates). */
static void
assert_increases_bounded (Sim *sim)
{
  for (guint i = 1; i < sim->steps->len; i++)
    {
      const Step *step = sim_step (sim, i);

      if (step->kbps > sim_step (sim, i - 1)->kbps && step->acked_kbps > 0)
        g_assert_cmpfloat (step->kbps, <=, 1.5 * step->acked_kbps + 10 + 1);
    }
}

/* A free link: no overuse, and from 300 kbit/s a ramp (not a jump) to the maximum within
 * the 5 s. */
static void
test_free_link (void)
{
  Sim sim;
  gint at_max;

  sim_init (&sim, 300, 2500, 0);
  sim_run (&sim, 10 * SECOND);
  g_assert_cmpint (sim_find_usage (&sim, 0, VSA_DELAY_BWE_OVERUSE), ==, -1);
  at_max = sim_find_kbps (&sim, 0, 2500);
  g_assert_cmpint (at_max, >=, 0);
  g_assert_cmpint (sim_step (&sim, at_max)->now - 1000 * SECOND, <=, 5 * SECOND);
  g_assert_cmpint (sim_step (&sim, at_max)->now - 1000 * SECOND, >=, 2 * SECOND);
  for (guint i = 1; i < sim.steps->len; i++)
    g_assert_cmpuint (sim_step (&sim, i)->kbps, >=, sim_step (&sim, i - 1)->kbps);
  assert_increases_bounded (&sim);
  g_assert_cmpuint (vsa_delay_bwe_get_kbps (sim.bwe), ==, 2500);
  sim_clear (&sim);
}

/* 1000 kbit/s into a 600 kbit/s bottleneck with a deep buffer: the queue is seen as soon
 * as the trendline has its window (20 groups: without a pacer, a group a frame, 0.67 s)
 * and two more, and the target goes under what got through. */
static void
queue_building (Sim *sim)
{
  gint overuse, decrease = -1;
  const Step *step;

  sim_run (sim, 20 * SECOND);
  overuse = sim_find_usage (sim, 0, VSA_DELAY_BWE_OVERUSE);
  g_assert_cmpint (overuse, >=, 0);
  g_assert_cmpint (sim_step (sim, overuse)->now - 1000 * SECOND, <=, 1500 * MS);
  for (guint i = overuse; i < sim->steps->len && decrease < 0; i++)
    if (sim_step (sim, i)->kbps < 1000)
      decrease = i;
  g_assert_cmpint (decrease, >=, 0);
  step = sim_step (sim, decrease);
  /* what the link carried (less what lost feedback never reported) */
  g_assert_cmpuint (step->acked_kbps, >=, 450);
  g_assert_cmpuint (step->acked_kbps, <=, 700);
  g_assert_cmpfloat (step->kbps, <=, 0.85 * step->acked_kbps + 1);
  /* and from then on it keeps the queue short: never the seconds a loss rule lets build */
  for (guint i = sim->steps->len - 50; i < sim->steps->len; i++)
    {
      g_assert_cmpint (sim_step (sim, i)->queue_us, <, 200 * MS);
      g_assert_cmpuint (sim_step (sim, i)->kbps, <=, 700);
    }
}

/* A still screen sends next to nothing: before any overuse the start-up ramp goes on
 * (that says nothing of the link); after one, the target stays within 1.5 × what got
 * through. */
static void
test_app_limited (void)
{
  Sim sim;
  guint after_overuse;
  gint overuse;

  sim_init (&sim, 800, 2500, 0);
  sim.app_limited_kbps = 100;
  sim_run (&sim, 5 * SECOND);
  g_assert_cmpint (sim_find_usage (&sim, 0, VSA_DELAY_BWE_OVERUSE), ==, -1);
  g_assert_cmpuint (vsa_delay_bwe_get_kbps (sim.bwe), ==, 2500);
  sim_clear (&sim);

  /* moving content into 600 kbit/s, then a still screen */
  sim_init (&sim, 800, 2500, 600);
  sim_run (&sim, 5 * SECOND);
  overuse = sim_find_usage (&sim, 0, VSA_DELAY_BWE_OVERUSE);
  g_assert_cmpint (overuse, >=, 0);
  after_overuse = vsa_delay_bwe_get_kbps (sim.bwe);
  g_assert_cmpuint (after_overuse, <=, 700);
  sim.app_limited_kbps = 100;
  sim_run (&sim, 10 * SECOND);
  /* (a little more: the queue's drain was acknowledged at the link's 600 kbit/s) */
  g_assert_cmpuint (vsa_delay_bwe_get_kbps (sim.bwe), <=, after_overuse + 50);
  sim_clear (&sim);
}

static void
test_queue_building (void)
{
  Sim sim;

  sim_init (&sim, 1000, 2500, 600);
  queue_building (&sim);
  sim_clear (&sim);
}

/* The link falls from 10 to 1 Mbit/s under a stream at 2500 kbit/s, its router's buffer a
 * second at the new rate: by the time the trendline sees it a queue of hundreds of ms has
 * built, and the decrease goes far enough under what gets through to drain it within
 * seconds (0.85 alone would take six); then the target stays near the new link. */
static void
test_link_drop (void)
{
  Sim sim;
  guint drop;
  gint drained = -1;

  sim_init (&sim, 2500, 2500, 10000);
  sim_run (&sim, 5 * SECOND);
  g_assert_cmpint (sim_find_usage (&sim, 0, VSA_DELAY_BWE_OVERUSE), ==, -1);
  drop = sim.steps->len;
  sim.capacity_kbps = 1000;
  sim.buffer_bytes = 125000;
  sim_run (&sim, 10 * SECOND);
  g_assert_cmpint (sim_find_usage (&sim, drop, VSA_DELAY_BWE_OVERUSE), >=, 0);
  for (guint i = drop; i < sim.steps->len && drained < 0; i++)
    if (sim_step (&sim, i)->now - sim_step (&sim, drop)->now > SECOND
        && sim_step (&sim, i)->queue_us < 100 * MS)
      drained = i;
  g_assert_cmpint (drained, >=, 0);
  g_test_message ("queue under 100 ms %.1f s after the drop",
                  (sim_step (&sim, drained)->now - sim_step (&sim, drop)->now) / 1e6);
  g_assert_cmpint (sim_step (&sim, drained)->now - sim_step (&sim, drop)->now, <=, 3 * SECOND);
  for (guint i = sim.steps->len - 30; i < sim.steps->len; i++)
    {
      g_assert_cmpint (sim_step (&sim, i)->queue_us, <, 200 * MS);
      g_assert_cmpuint (sim_step (&sim, i)->kbps, >=, 500);
      g_assert_cmpuint (sim_step (&sim, i)->kbps, <=, 1100);
    }
  sim_clear (&sim);
}

/* A queue built, then the bottleneck widens: while the queue drains (underuse) the target
 * holds, then it goes up again. */
static void
test_queue_draining (void)
{
  Sim sim;
  guint before, underuse, normal;

  sim_init (&sim, 1000, 2500, 600);
  sim.buffer_bytes = 0;
  /* the target stays for the first second: AIMD waits for the trendline's window */
  sim_run (&sim, 700 * MS);
  g_assert_cmpint (sim_queue_us (&sim), >, 150 * MS);
  before = sim.steps->len;
  sim.capacity_kbps = 5000;
  sim_run (&sim, 5 * SECOND);
  underuse = sim_find_usage (&sim, before, VSA_DELAY_BWE_UNDERUSE);
  g_assert_cmpint (underuse, >=, 0);
  for (normal = underuse; normal < sim.steps->len; normal++)
    if (sim_step (&sim, normal)->usage != VSA_DELAY_BWE_UNDERUSE)
      break;
  g_assert_cmpuint (normal, <, sim.steps->len);
  for (guint i = underuse + 1; i < normal; i++)
    g_assert_cmpuint (sim_step (&sim, i)->kbps, <=, sim_step (&sim, i - 1)->kbps);
  g_assert_cmpuint (vsa_delay_bwe_get_kbps (sim.bwe), >, sim_step (&sim, normal)->kbps);
  /* no queue but a frame's own burst (10 KB at 5 Mbit/s: 17 ms) */
  g_assert_cmpint (sim_queue_us (&sim), <, 30 * MS);
  sim_clear (&sim);
}

/* After an overuse, near the capacity then seen the increase is additive; once well past
 * it (the link got wider), ×1.08 a second. */
static void
test_increase_after_overuse (void)
{
  Sim sim;
  guint released, far;
  gint at_max;
  double per_s;

  sim_init (&sim, 300, 2500, 600);
  sim_run (&sim, 15 * SECOND);
  g_assert_cmpint (sim_find_usage (&sim, 0, VSA_DELAY_BWE_OVERUSE), >=, 0);
  released = sim.steps->len;
  sim.capacity_kbps = 0;
  sim_run (&sim, 60 * SECOND);
  /* additive: under 8 % in the 2 s after */
  g_assert_cmpuint (sim_step (&sim, released + 20)->kbps, <,
                    1.08 * sim_step (&sim, released)->kbps);
  /* then, far past the capacity seen, multiplicative: the last 3 s (30 feedbacks) before
   * the maximum at 1.07–1.09 a second */
  at_max = sim_find_kbps (&sim, released, 2500);
  g_assert_cmpint (at_max, >, released + 50);
  far = at_max - 31;
  per_s = pow ((double) sim_step (&sim, far + 30)->kbps / sim_step (&sim, far)->kbps, 1 / 3.0);
  g_assert_cmpfloat (per_s, >=, 1.07);
  g_assert_cmpfloat (per_s, <=, 1.09);
  /* so, with no probing, the way back up is slow (the issue asks 10 s after a drop) */
  g_test_message ("2500 kbit/s %.1f s after the link widened",
                  (sim_step (&sim, at_max)->now - sim_step (&sim, released)->now) / 1e6);
  g_assert_cmpint (sim_find_usage (&sim, released, VSA_DELAY_BWE_OVERUSE), ==, -1);
  assert_increases_bounded (&sim);
  sim_clear (&sim);
}

/* Packets arriving behind their successors (1.22 first reports them lost): no queue is
 * seen where there is none, and the one there is still is. */
static void
test_reordering (void)
{
  Sim sim;

  sim_init (&sim, 300, 2500, 0);
  sim.late_every = 7;
  sim.late_us = 3 * MS;
  sim_run (&sim, 10 * SECOND);
  g_assert_cmpint (sim_find_usage (&sim, 0, VSA_DELAY_BWE_OVERUSE), ==, -1);
  g_assert_cmpint (sim_find_kbps (&sim, 0, 2500), >=, 0);
  sim_clear (&sim);

  /* later than the next frame's packets: left out of the delay, still acknowledged */
  sim_init (&sim, 300, 2500, 0);
  sim.late_every = 7;
  sim.late_us = 50 * MS;
  sim_run (&sim, 10 * SECOND);
  g_assert_cmpint (sim_find_usage (&sim, 0, VSA_DELAY_BWE_OVERUSE), ==, -1);
  g_assert_cmpint (sim_find_kbps (&sim, 0, 2500), >=, 0);
  sim_clear (&sim);

  sim_init (&sim, 1000, 2500, 600);
  sim.late_every = 7;
  sim.late_us = 3 * MS;
  queue_building (&sim);
  sim_clear (&sim);
}

/* Feedback that never comes (every fifth): the same decisions. */
static void
test_lost_feedback (void)
{
  Sim sim;

  sim_init (&sim, 300, 2500, 0);
  sim.drop_feedback_every = 5;
  sim_run (&sim, 10 * SECOND);
  g_assert_cmpint (sim_find_usage (&sim, 0, VSA_DELAY_BWE_OVERUSE), ==, -1);
  g_assert_cmpint (sim_find_kbps (&sim, 0, 2500), >=, 0);
  sim_clear (&sim);

  sim_init (&sim, 1000, 2500, 600);
  sim.drop_feedback_every = 5;
  queue_building (&sim);
  sim_clear (&sim);
}

/* 5 % random-ish loss on a free link is the loss rule's business: no overuse here. */
static void
test_lost_packets (void)
{
  Sim sim;

  sim_init (&sim, 300, 2500, 0);
  sim.lose_every = 20;
  sim_run (&sim, 10 * SECOND);
  g_assert_cmpint (sim_find_usage (&sim, 0, VSA_DELAY_BWE_OVERUSE), ==, -1);
  g_assert_cmpint (sim_find_kbps (&sim, 0, 2500), >=, 0);
  sim_clear (&sim);

  /* a shallow buffer (the tail dropped) still shows its queue first */
  sim_init (&sim, 1000, 2500, 600);
  sim.buffer_bytes = 30000;
  queue_building (&sim);
  sim_clear (&sim);
}

/* Every feedback twice: nothing counts twice. */
static void
test_duplicates (void)
{
  Sim once, twice;

  sim_init (&once, 300, 2500, 600);
  sim_init (&twice, 300, 2500, 600);
  twice.duplicate = TRUE;
  sim_run (&once, 20 * SECOND);
  sim_run (&twice, 20 * SECOND);
  g_assert_cmpuint (once.steps->len, ==, twice.steps->len);
  for (guint i = 0; i < once.steps->len; i++)
    {
      g_assert_cmpuint (sim_step (&once, i)->kbps, ==, sim_step (&twice, i)->kbps);
      g_assert_cmpuint (sim_step (&once, i)->acked_kbps, ==, sim_step (&twice, i)->acked_kbps);
    }
  sim_clear (&once);
  sim_clear (&twice);
}

static void
test_unwrap (void)
{
  VsaDelayBweUnwrapper u = { 0 };
  const gint64 wrap = VSA_DELAY_BWE_REMOTE_WRAP_NS;

  /* 64 ms × 2^24: 12.4 days */
  g_assert_cmpint (wrap / GST_SECOND, ==, 1073741);
  g_assert_cmpint (vsa_delay_bwe_unwrap_seqnum (&u, 65534), ==, 65534);
  g_assert_cmpint (vsa_delay_bwe_unwrap_seqnum (&u, 65535), ==, 65535);
  g_assert_cmpint (vsa_delay_bwe_unwrap_seqnum (&u, 1), ==, 65537);
  g_assert_cmpint (vsa_delay_bwe_unwrap_seqnum (&u, 65535), ==, 65535); /* late */
  g_assert_cmpint (vsa_delay_bwe_unwrap_seqnum (&u, 2), ==, 65538);
  for (guint i = 0; i < 3 * 65536; i += 1000)
    g_assert_cmpint (vsa_delay_bwe_unwrap_seqnum (&u, (guint16) (i + 3)), ==, 65539 + i);

  g_assert_cmpint (vsa_delay_bwe_unwrap_remote (&u, wrap - 64 * GST_MSECOND), ==,
                   wrap - 64 * GST_MSECOND);
  /* a feedback's deltas run on past its 24-bit base: past the wrap, not wrapped */
  g_assert_cmpint (vsa_delay_bwe_unwrap_remote (&u, wrap + 5 * GST_MSECOND), ==,
                   wrap + 5 * GST_MSECOND);
  g_assert_cmpint (vsa_delay_bwe_unwrap_remote (&u, 10 * GST_MSECOND), ==, wrap + 10 * GST_MSECOND);
  g_assert_cmpint (vsa_delay_bwe_unwrap_remote (&u, wrap - 32 * GST_MSECOND), ==,
                   wrap - 32 * GST_MSECOND); /* a late feedback from before */
  g_assert_cmpint (vsa_delay_bwe_unwrap_remote (&u, 20 * GST_MSECOND), ==, wrap + 20 * GST_MSECOND);
  /* a second wrap, days later in steps of hours */
  for (gint64 t = 0; t <= wrap; t += 3600 * GST_SECOND)
    g_assert_cmpint (vsa_delay_bwe_unwrap_remote (&u, (20 * GST_MSECOND + t) % wrap), ==,
                     wrap + 20 * GST_MSECOND + t);
}

/* The whole way from rtpsession's events, the receiver's 24-bit reference time wrapping
 * a few seconds in: the same decisions as without. */
static void
test_wrap (void)
{
  Sim sim;
  gint at_max;

  sim_init (&sim, 300, 2500, 0);
  sim.via_events = TRUE;
  sim.remote_offset_ns
      = VSA_DELAY_BWE_REMOTE_WRAP_NS - (RECEIVER_ORIGIN_US + 1000 * SECOND + 2 * SECOND) * 1000;
  sim_run (&sim, 10 * SECOND);
  g_assert_cmpint (sim_find_usage (&sim, 0, VSA_DELAY_BWE_OVERUSE), ==, -1);
  at_max = sim_find_kbps (&sim, 0, 2500);
  g_assert_cmpint (at_max, >=, 0);
  g_assert_cmpint (sim_step (&sim, at_max)->now - 1000 * SECOND, <=, 5 * SECOND);
  sim_clear (&sim);

  sim_init (&sim, 1000, 2500, 600);
  sim.via_events = TRUE;
  sim.remote_offset_ns
      = VSA_DELAY_BWE_REMOTE_WRAP_NS - (RECEIVER_ORIGIN_US + 1000 * SECOND + 500 * MS) * 1000;
  queue_building (&sim);
  sim_clear (&sim);
}

/* An event as rtpsession 1.22 builds it (rtpstats.c), and as a GstValueList. */
static void
test_parse (void)
{
  const guint64 wrap = VSA_DELAY_BWE_REMOTE_WRAP_NS;
  /* seqnum, local-ts, remote-ts, size, lost */
  const struct
  {
    guint seqnum;
    guint64 local, remote;
    guint size;
    gboolean lost;
  } rows[] = {
    { 65535, 5 * GST_SECOND, wrap - 250 * GST_USECOND, 1100, FALSE },
    { 0, 5 * GST_SECOND + 20 * GST_USECOND, GST_CLOCK_TIME_NONE, 1100, TRUE },
    { 1, GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE, 0, TRUE }, /* not matched to one sent */
    { 2, 5 * GST_SECOND + 60 * GST_USECOND, 500 * GST_USECOND, 800, FALSE },
  };

  for (guint as_list = 0; as_list < 2; as_list++)
    {
      VsaDelayBweUnwrapper u = { 0 };
      g_autoptr (GArray) packets = g_array_new (FALSE, FALSE, sizeof (VsaDelayBwePacket));
      GstStructure *structure = gst_structure_new_empty ("RTPTWCCPackets");
      GValue list = G_VALUE_INIT;
      g_autoptr (GstEvent) event = NULL;
      g_autoptr (GstEvent) other = NULL;
      VsaDelayBwePacket *p;

      G_GNUC_BEGIN_IGNORE_DEPRECATIONS
      g_value_init (&list, as_list ? GST_TYPE_LIST : g_value_array_get_type ());
      if (!as_list)
        g_value_take_boxed (&list, g_value_array_new (0));
      for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
        {
          GValue item = G_VALUE_INIT;

          g_value_init (&item, GST_TYPE_STRUCTURE);
          g_value_take_boxed (
              &item, gst_structure_new ("RTPTWCCPacket", "seqnum", G_TYPE_UINT, rows[i].seqnum,
                                        "local-ts", G_TYPE_UINT64, rows[i].local, "remote-ts",
                                        G_TYPE_UINT64, rows[i].remote, "payload-type", G_TYPE_UCHAR,
                                        96, "size", G_TYPE_UINT, rows[i].size, "lost",
                                        G_TYPE_BOOLEAN, rows[i].lost, NULL));
          if (as_list)
            gst_value_list_append_and_take_value (&list, &item);
          else
            {
              g_value_array_append (g_value_get_boxed (&list), &item);
              g_value_unset (&item);
            }
        }
      G_GNUC_END_IGNORE_DEPRECATIONS
      gst_structure_take_value (structure, "packets", &list);
      event = gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM, structure);

      g_assert_true (vsa_delay_bwe_parse_event (&u, event, packets));
      g_assert_cmpuint (packets->len, ==, 3);
      p = (VsaDelayBwePacket *) packets->data;
      g_assert_cmpint (p[0].seqnum, ==, 65535);
      g_assert_cmpint (p[0].send_us, ==, 5 * SECOND);
      g_assert_cmpuint (p[0].size, ==, 1100);
      g_assert_cmpint (p[1].seqnum, ==, 65536);
      g_assert_cmpint (p[1].arrival_us, ==, VSA_DELAY_BWE_LOST);
      g_assert_cmpint (p[2].seqnum, ==, 65538);
      g_assert_cmpint (p[2].send_us, ==, 5 * SECOND + 60);
      g_assert_cmpuint (p[2].size, ==, 800);
      /* 750 µs after the first, not 12.4 days before */
      g_assert_cmpint (p[2].arrival_us - p[0].arrival_us, ==, 750);

      other = gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM,
                                    gst_structure_new_empty ("GstForceKeyUnit"));
      g_assert_false (vsa_delay_bwe_parse_event (&u, other, packets));
      g_assert_cmpuint (packets->len, ==, 3);
    }
}

/* A keyframe sent at once spreads out at the bottleneck (83 ms at 2 Mbit/s) and leaves
 * no standing queue: packets sent within 5 ms are one group, so that spread is not taken
 * for a growing queue. (At 1 Mbit/s its 167 ms do trip it: issue 15's pacing.) */
static void
test_bursts (void)
{
  Sim sim;

  sim_init (&sim, 500, 500, 2000);
  sim.keyframe_every = 30;
  sim_run (&sim, 10 * SECOND);
  g_assert_cmpint (sim_find_usage (&sim, 0, VSA_DELAY_BWE_OVERUSE), ==, -1);
  g_assert_cmpuint (vsa_delay_bwe_get_kbps (sim.bwe), ==, 500);
  sim_clear (&sim);
}

/* The receiver's clock jumps (it restarted, or a wrap went unseen): the groups start
 * again, nothing is taken for a queue. */
static void
test_clock_jump (void)
{
  Sim sim;
  guint jump;

  sim_init (&sim, 1000, 1000, 0);
  sim_run (&sim, 3 * SECOND);
  jump = sim.steps->len;
  sim.receiver_jump_us = 10 * SECOND;
  sim_run (&sim, 5 * SECOND);
  g_assert_cmpint (sim_find_usage (&sim, 0, VSA_DELAY_BWE_OVERUSE), ==, -1);
  g_assert_cmpint (sim_find_usage (&sim, 0, VSA_DELAY_BWE_UNDERUSE), ==, -1);
  for (guint i = jump; i < sim.steps->len; i++)
    g_assert_cmpuint (sim_step (&sim, i)->kbps, ==, 1000);
  sim.receiver_jump_us = -20 * SECOND;
  sim_run (&sim, 5 * SECOND);
  g_assert_cmpint (sim_find_usage (&sim, 0, VSA_DELAY_BWE_OVERUSE), ==, -1);
  g_assert_cmpuint (vsa_delay_bwe_get_kbps (sim.bwe), ==, 1000);
  sim_clear (&sim);
}

/* 2500 kbit/s on a 10 Mbit/s link that falls to 1 Mbit/s (125 KB buffer) for @down_us and
 * comes back, with or without probes: the worst queue over the drop's last 10 s, and how
 * long after the link came back the target was at 90 % of 2500 again (-1: not in 15 s). */
static void
drop_and_back (gboolean probe, gint64 down_us, gint64 *max_queue_us, gint64 *back_us)
{
  Sim sim;
  guint drop, back, n_probes;
  gint recovered;

  sim_init (&sim, 2500, 2500, 10000);
  /* a keyframe a second: what is acknowledged goes over the maximum at times, which is
   * no drop */
  sim.keyframe_every = 30;
  if (probe)
    sim.probe = vsa_bwe_probe_new ();
  sim_run (&sim, 5 * SECOND);
  g_assert_cmpuint (sim.n_probes, ==, 0); /* nothing fell: nothing to probe */
  sim.keyframe_every = 0;
  sim.capacity_kbps = 1000;
  sim.buffer_bytes = 125000;
  drop = sim.steps->len;
  sim_run (&sim, down_us);
  /* the link did not come back: no probe took it to have (under 1.5 × what it carried
   * at the drop, the delay rule's own increase is the way up), the target stayed under it */
  g_assert_cmpuint (sim.n_probes_found, ==, 0);
  *max_queue_us = 0;
  for (guint i = drop; i < sim.steps->len; i++)
    if (sim_step (&sim, i)->now - sim_step (&sim, drop)->now >= down_us - 10 * SECOND)
      {
        *max_queue_us = MAX (*max_queue_us, sim_step (&sim, i)->queue_us);
        g_assert_cmpuint (sim_step (&sim, i)->kbps, <=, 1100);
      }
  if (probe)
    {
      g_test_message ("%u probes while the link was down", sim.n_probes);
      g_assert_cmpuint (sim.n_probes, >=, 3);
      /* the wait grows to 4 s (or more, while the delay is not flat) */
      for (guint i = 3; i < MIN (sim.n_probes, G_N_ELEMENTS (sim.probe_gaps_us)); i++)
        g_assert_cmpint (sim.probe_gaps_us[i], >=, 4 * SECOND);
    }
  back = sim.steps->len;
  sim.capacity_kbps = 10000;
  n_probes = sim.n_probes;
  sim_run (&sim, 15 * SECOND);
  recovered = sim_find_kbps (&sim, back, 2250);
  *back_us = recovered < 0 ? -1 : sim_step (&sim, recovered)->now - sim_step (&sim, back)->now;
  if (probe)
    {
      g_assert_cmpuint (sim.n_probes_found, >=, 1);
      /* and once back, no more: one or two found it, one may have come too early */
      g_assert_cmpuint (sim.n_probes - n_probes, <=, 3);
    }
  sim_clear (&sim);
}

/* After 20 s at 1 Mbit/s the link comes back: probes find it, and the target is back
 * within 5 s (the ramp alone, 8 % a second from under the 1 Mbit/s link, takes over 10).
 * While the link was down each probe found no room, the target stayed, and the queue
 * grew by no more than a probe's burst. */
static void
test_probe_link_back (void)
{
  gint64 queue_us, back_us, plain_queue_us, plain_back_us;

  drop_and_back (TRUE, 20 * SECOND, &queue_us, &back_us);
  drop_and_back (FALSE, 20 * SECOND, &plain_queue_us, &plain_back_us);
  g_test_message ("back at 90 %% after %.1f s (without probes %.1f s, < 0: over 15 s); worst "
                  "queue %" G_GINT64_FORMAT " ms (%" G_GINT64_FORMAT " ms)",
                  back_us / 1e6, plain_back_us < 0 ? -1 : plain_back_us / 1e6, queue_us / MS,
                  plain_queue_us / MS);
  g_assert_cmpint (back_us, >=, 0);
  g_assert_cmpint (back_us, <=, 5 * SECOND);
  g_assert_true (plain_back_us < 0 || plain_back_us > 10 * SECOND);
  g_assert_cmpint (queue_us, <=, plain_queue_us + 80 * MS);
}

/* A link that stays slow is probed every 4 s, and not after a minute. */
static void
test_probe_link_stays (void)
{
  Sim sim;
  guint n;

  sim_init (&sim, 2500, 2500, 10000);
  sim.probe = vsa_bwe_probe_new ();
  sim_run (&sim, 5 * SECOND);
  sim.capacity_kbps = 1000;
  sim.buffer_bytes = 125000;
  sim_run (&sim, 70 * SECOND);
  n = sim.n_probes;
  g_assert_cmpuint (n, >=, 10);
  g_assert_cmpuint (n, <=, 20);
  g_assert_cmpuint (sim.n_probes_found, ==, 0);
  sim_run (&sim, 20 * SECOND);
  g_assert_cmpuint (sim.n_probes, ==, n);
  sim_clear (&sim);
}

/* A link slower than the start from the start (issue 15's (a): 800 kbit/s into 600, a
 * deep buffer) is no drop: what went under the start never got through. No probe. */
static void
test_probe_slow_link (void)
{
  Sim sim;

  sim_init (&sim, 800, 2500, 600);
  sim.buffer_bytes = 600000;
  sim.probe = vsa_bwe_probe_new ();
  sim_run (&sim, 30 * SECOND);
  g_assert_cmpint (sim_find_usage (&sim, 0, VSA_DELAY_BWE_OVERUSE), >=, 0);
  g_assert_cmpuint (sim.n_probes, ==, 0);
  sim_clear (&sim);
}

/* Within min–max whatever happens. */
static void
test_bounds (void)
{
  g_autoptr (VsaDelayBwe) high = vsa_delay_bwe_new (5000, 300, 2500);
  Sim sim;

  g_assert_cmpuint (vsa_delay_bwe_get_kbps (high), ==, 2500);
  g_assert_cmpuint (vsa_delay_bwe_get_acked_kbps (high), ==, 0);
  /* 1000 kbit/s into 200: far down, but not under the minimum */
  sim_init (&sim, 1000, 2500, 200);
  vsa_delay_bwe_free (sim.bwe);
  sim.bwe = vsa_delay_bwe_new (1000, 300, 2500);
  sim_run (&sim, 10 * SECOND);
  g_assert_cmpint (sim_find_usage (&sim, 0, VSA_DELAY_BWE_OVERUSE), >=, 0);
  g_assert_cmpuint (vsa_delay_bwe_get_kbps (sim.bwe), ==, 300);
  for (guint i = 0; i < sim.steps->len; i++)
    g_assert_cmpuint (sim_step (&sim, i)->kbps, >=, 300);
  g_assert_cmpfloat (vsa_delay_bwe_get_threshold_ms (sim.bwe), >=, 6);
  g_assert_cmpfloat (vsa_delay_bwe_get_threshold_ms (sim.bwe), <=, 600);
  sim_clear (&sim);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vsa/delay-bwe/free-link", test_free_link);
  g_test_add_func ("/vsa/delay-bwe/app-limited", test_app_limited);
  g_test_add_func ("/vsa/delay-bwe/queue-building", test_queue_building);
  g_test_add_func ("/vsa/delay-bwe/queue-draining", test_queue_draining);
  g_test_add_func ("/vsa/delay-bwe/link-drop", test_link_drop);
  g_test_add_func ("/vsa/delay-bwe/increase-after-overuse", test_increase_after_overuse);
  g_test_add_func ("/vsa/delay-bwe/bursts", test_bursts);
  g_test_add_func ("/vsa/delay-bwe/reordering", test_reordering);
  g_test_add_func ("/vsa/delay-bwe/lost-feedback", test_lost_feedback);
  g_test_add_func ("/vsa/delay-bwe/lost-packets", test_lost_packets);
  g_test_add_func ("/vsa/delay-bwe/duplicates", test_duplicates);
  g_test_add_func ("/vsa/delay-bwe/clock-jump", test_clock_jump);
  g_test_add_func ("/vsa/delay-bwe/unwrap", test_unwrap);
  g_test_add_func ("/vsa/delay-bwe/wrap", test_wrap);
  g_test_add_func ("/vsa/delay-bwe/parse", test_parse);
  g_test_add_func ("/vsa/delay-bwe/bounds", test_bounds);
  g_test_add_func ("/vsa/delay-bwe/probe-link-back", test_probe_link_back);
  g_test_add_func ("/vsa/delay-bwe/probe-link-stays", test_probe_link_stays);
  g_test_add_func ("/vsa/delay-bwe/probe-slow-link", test_probe_slow_link);
  return g_test_run ();
}
