/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vsapacer: its schedule, and the element spreading a payloader's list of packets over
 * time, then stopping at once while it waits. */
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

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
  GArray *arrivals; /* gint64, monotonic µs */
} Arrivals;

static GstFlowReturn
on_new_sample (GstAppSink *sink, gpointer data)
{
  Arrivals *arrivals = data;
  g_autoptr (GstSample) sample = gst_app_sink_pull_sample (sink);
  gint64 now = g_get_monotonic_time ();

  g_mutex_lock (&arrivals->lock);
  g_array_append_val (arrivals->arrivals, now);
  g_mutex_unlock (&arrivals->lock);
  return GST_FLOW_OK;
}

static guint
arrived (Arrivals *arrivals)
{
  guint n;

  g_mutex_lock (&arrivals->lock);
  n = arrivals->arrivals->len;
  g_mutex_unlock (&arrivals->lock);
  return n;
}

static gboolean
all_arrived (gpointer data)
{
  return arrived (data) == 50;
}

/* appsrc → queue → vsapacer → appsink, sending one list of @n packets. */
static GstElement *
start_pipeline (guint kbps, guint n, Arrivals *arrivals)
{
  g_autoptr (GError) error = NULL;
  GstElement *pipeline;
  g_autoptr (GstElement) src = NULL;
  g_autoptr (GstElement) pacer = NULL;
  g_autoptr (GstElement) sink = NULL;
  GstBufferList *list = gst_buffer_list_new ();
  GstAppSinkCallbacks callbacks = { .new_sample = on_new_sample };

  g_assert_true (vsa_pacer_register ());
  pipeline = gst_parse_launch ("appsrc name=src format=time ! queue ! vsapacer name=pacer ! "
                               "appsink name=sink sync=false",
                               &error);
  g_assert_no_error (error);
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  pacer = gst_bin_get_by_name (GST_BIN (pipeline), "pacer");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_object_set (pacer, "bitrate", kbps, NULL);
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks, arrivals, NULL);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
  for (guint i = 0; i < n; i++)
    gst_buffer_list_add (list, gst_buffer_new_allocate (NULL, PACKET_BYTES, NULL));
  g_assert_cmpint (gst_app_src_push_buffer_list (GST_APP_SRC (src), list), ==, GST_FLOW_OK);
  return pipeline;
}

/* A list of 50 packets at 960 kbit/s: the burst at once, the rest one by one, about
 * 450 ms from the first to the last, not at once. */
static void
test_spreads_a_list (void)
{
  Arrivals arrivals = { .arrivals = g_array_new (FALSE, FALSE, sizeof (gint64)) };
  g_autoptr (GstElement) pipeline = NULL;
  gint64 spread;

  g_mutex_init (&arrivals.lock);
  pipeline = start_pipeline (PACKET_KBPS, 50, &arrivals);
  g_assert_true (vsa_test_wait_until (all_arrived, &arrivals, 10000));
  spread = g_array_index (arrivals.arrivals, gint64, 49)
           - g_array_index (arrivals.arrivals, gint64, 0);
  g_test_message ("50 packets over %" G_GINT64_FORMAT " ms", spread / 1000);
  /* (at once, it would take under 1 ms) */
  g_assert_cmpint (spread, >=, (49 * PACKET_US - VSA_PACER_BURST_US) * 9 / 10);
  /* a busy machine sleeps longer, never shorter */
  g_assert_cmpint (spread, <, 5 * G_USEC_PER_SEC);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  g_array_unref (arrivals.arrivals);
  g_mutex_clear (&arrivals.lock);
}

/* At 1 kbit/s a packet waits about 10 s: stopping does not wait for it. */
static void
test_stops_while_waiting (void)
{
  Arrivals arrivals = { .arrivals = g_array_new (FALSE, FALSE, sizeof (gint64)) };
  g_autoptr (GstElement) pipeline = NULL;
  gint64 stop_started;

  g_mutex_init (&arrivals.lock);
  pipeline = start_pipeline (1, 20, &arrivals);
  g_usleep (200 * 1000);
  stop_started = g_get_monotonic_time ();
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_NULL), ==, GST_STATE_CHANGE_SUCCESS);
  g_assert_cmpint (g_get_monotonic_time () - stop_started, <, 5 * G_USEC_PER_SEC);
  g_assert_cmpuint (arrived (&arrivals), <=, 1);
  g_array_unref (arrivals.arrivals);
  g_mutex_clear (&arrivals.lock);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vsa/pacer/schedule", test_schedule);
  g_test_add_func ("/vsa/pacer/spreads-a-list", test_spreads_a_list);
  g_test_add_func ("/vsa/pacer/stops-while-waiting", test_stops_while_waiting);
  return g_test_run ();
}
