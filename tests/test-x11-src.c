/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vsax11src against a real Xvfb: frames of the painted colour at the screen's size, the
 * pointer drawn in, and the X server killed and restarted (or absent at start) without
 * the pipeline failing or the process exiting. Needs xvfb and x11-xserver-utils. */

#include "vsa-encoder.h"
#include "vsa-pipeline.h"
#include "vsa-x11-src.h"
#include "vsa-test-util.h"

#include <gst/gst.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xcb/xcb.h>

/* Displays from here up: away from the e2e tests' (from :99), which may run beside us
 * and must not take our display while we restart it. */
#define FIRST_DISPLAY 150

typedef struct
{
  guint number;
  VsaTestXvfb *xvfb;
  GstElement *pipeline;

  GMutex lock; /* the fields below change on streaming threads */
  GstSample *sample;
  guint frames;
  GPtrArray *statuses;  /* of GstStructure: the "vsa-x11-src" messages */
  GArray *status_times; /* of gint64: their monotonic arrival times */
  char *error;
} Fixture;

static void
fixture_set_up (Fixture *fixture, gconstpointer user_data)
{
  g_mutex_init (&fixture->lock);
  fixture->statuses = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_structure_free);
  fixture->status_times = g_array_new (FALSE, FALSE, sizeof (gint64));
  /* A display nobody uses, for tests that start the server late. */
  fixture->number = vsa_test_xvfb_free_display (FIRST_DISPLAY);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer user_data)
{
  if (fixture->pipeline != NULL)
    gst_element_set_state (fixture->pipeline, GST_STATE_NULL);
  g_clear_object (&fixture->pipeline);
  g_clear_pointer (&fixture->sample, gst_sample_unref);
  g_clear_pointer (&fixture->statuses, g_ptr_array_unref);
  g_clear_pointer (&fixture->status_times, g_array_unref);
  g_clear_pointer (&fixture->error, g_free);
  g_clear_pointer (&fixture->xvfb, vsa_test_xvfb_free);
  g_mutex_clear (&fixture->lock);
}

/* Xvfb on the fixture's display, painted in color (NULL: Xvfb's own pattern). */
static gboolean
start_xvfb (Fixture *fixture, guint width, guint height, const char *color)
{
  g_autoptr (GError) error = NULL;

  g_assert_null (fixture->xvfb);
  fixture->xvfb = vsa_test_xvfb_start_on (fixture->number, width, height, &error);
  if (fixture->xvfb == NULL
      || (color != NULL && !vsa_test_xvfb_set_color (fixture->xvfb, color, &error)))
    {
      g_test_fail_printf ("Xvfb: %s", error->message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
stop_xvfb (Fixture *fixture)
{
  g_autoptr (GError) error = NULL;
  gboolean stopped = vsa_test_xvfb_stop (fixture->xvfb, &error);

  g_clear_pointer (&fixture->xvfb, vsa_test_xvfb_free);
  if (!stopped)
    g_test_fail_printf ("%s", error->message);
  return stopped;
}

static GstBusSyncReply
bus_sync_cb (GstBus *bus, GstMessage *message, gpointer user_data)
{
  Fixture *fixture = user_data;
  const GstStructure *s = gst_message_get_structure (message);
  gint64 now = g_get_monotonic_time ();

  g_mutex_lock (&fixture->lock);
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ELEMENT
      && gst_structure_has_name (s, "vsa-x11-src"))
    {
      g_autofree char *text = gst_structure_to_string (s);

      g_test_message ("%s", text);
      g_ptr_array_add (fixture->statuses, gst_structure_copy (s));
      g_array_append_val (fixture->status_times, now);
    }
  else if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR && fixture->error == NULL)
    {
      g_autoptr (GError) error = NULL;

      gst_message_parse_error (message, &error, NULL);
      fixture->error = g_strdup (error->message);
    }
  g_mutex_unlock (&fixture->lock);
  /* Nobody pops the bus: drop every message (a dropping handler owns it). */
  gst_message_unref (message);
  return GST_BUS_DROP;
}

static GstFlowReturn
new_sample_cb (GstElement *sink, gpointer user_data)
{
  Fixture *fixture = user_data;
  GstSample *sample = NULL;

  g_signal_emit_by_name (sink, "pull-sample", &sample);
  g_mutex_lock (&fixture->lock);
  g_clear_pointer (&fixture->sample, gst_sample_unref);
  fixture->sample = sample;
  fixture->frames++;
  g_mutex_unlock (&fixture->lock);
  return GST_FLOW_OK;
}

/* vsax11src on the fixture's display at framerate (as the agent's capsfilter asks), into
 * an appsink, PLAYING. */
static gboolean
start_pipeline_full (Fixture *fixture, gboolean show_pointer, gboolean skip_unchanged,
                     const char *framerate)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstElement) sink = NULL;
  GstState state = GST_STATE_VOID_PENDING;
  g_autofree char *description
      = g_strdup_printf ("vsax11src name=source display-name=:%u show-pointer=%d skip-unchanged=%d "
                         "! video/x-raw,framerate=%s ! "
                         "appsink name=sink emit-signals=true max-buffers=1 drop=true sync=false",
                         fixture->number, show_pointer, skip_unchanged, framerate);

  fixture->pipeline = gst_parse_launch (description, &error);
  g_assert_no_error (error);
  bus = gst_element_get_bus (fixture->pipeline);
  gst_bus_set_sync_handler (bus, bus_sync_cb, fixture, NULL);
  sink = gst_bin_get_by_name (GST_BIN (fixture->pipeline), "sink");
  g_signal_connect (sink, "new-sample", G_CALLBACK (new_sample_cb), fixture);
  if (gst_element_set_state (fixture->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE
      || gst_element_get_state (fixture->pipeline, &state, NULL, 2 * GST_SECOND)
             == GST_STATE_CHANGE_FAILURE
      || state != GST_STATE_PLAYING)
    {
      g_test_fail_printf ("the pipeline did not reach PLAYING: %s", fixture->error);
      return FALSE;
    }
  return TRUE;
}

static gboolean
start_pipeline (Fixture *fixture, gboolean show_pointer, const char *framerate)
{
  return start_pipeline_full (fixture, show_pointer, FALSE, framerate);
}

typedef struct
{
  Fixture *fixture;
  guint index;
} StatusWait;

static gboolean
has_status (gpointer user_data)
{
  StatusWait *wait = user_data;
  gboolean found;

  g_mutex_lock (&wait->fixture->lock);
  found = wait->fixture->statuses->len > wait->index;
  g_mutex_unlock (&wait->fixture->lock);
  return found;
}

/* Waits for status message number index (from 0) and checks it says connected (and the
 * size when connected); its arrival time in *when. */
static gboolean
expect_status (Fixture *fixture, guint index, gboolean connected, int width, int height,
               guint timeout_ms, gint64 *when)
{
  g_autofree char *display = g_strdup_printf (":%u", fixture->number);
  StatusWait wait = { fixture, index };
  g_autoptr (GstStructure) s = NULL;
  gboolean is_connected = !connected;
  int w = 0, h = 0;

  if (!vsa_test_wait_until (has_status, &wait, timeout_ms))
    {
      g_test_fail_printf ("no message %u (connected=%d) in %u ms", index, connected, timeout_ms);
      return FALSE;
    }
  g_mutex_lock (&fixture->lock);
  s = gst_structure_copy (g_ptr_array_index (fixture->statuses, index));
  if (when != NULL)
    *when = g_array_index (fixture->status_times, gint64, index);
  g_mutex_unlock (&fixture->lock);
  g_assert_cmpstr (gst_structure_get_string (s, "display"), ==, display);
  g_assert_true (gst_structure_get_boolean (s, "connected", &is_connected));
  g_assert_cmpint (is_connected, ==, connected);
  if (connected)
    {
      g_assert_true (gst_structure_get_int (s, "width", &w)
                     && gst_structure_get_int (s, "height", &h));
      g_assert_cmpint (w, ==, width);
      g_assert_cmpint (h, ==, height);
    }
  else
    g_assert_nonnull (gst_structure_get_string (s, "reason"));
  return TRUE;
}

/* The BGRx pixel at (x, y) of a frame as 0xRRGGBB. */
static guint32
pixel_at (GstBuffer *buffer, int width, int x, int y)
{
  GstMapInfo map;
  guint32 pixel;

  g_assert_true (gst_buffer_map (buffer, &map, GST_MAP_READ));
  pixel = ((guint32 *) map.data)[(gsize) y * width + x] & 0xffffff;
  gst_buffer_unmap (buffer, &map);
  return pixel;
}

typedef struct
{
  Fixture *fixture;
  int width, height;
  guint32 rgb;
} FrameWait;

/* The newest frame has the size and, at its corners, the colour. */
static gboolean
frame_matches (gpointer user_data)
{
  FrameWait *wait = user_data;
  g_autoptr (GstSample) sample = NULL;
  const GstStructure *s;
  int width = 0, height = 0;
  GstBuffer *buffer;

  g_mutex_lock (&wait->fixture->lock);
  if (wait->fixture->sample != NULL)
    sample = gst_sample_ref (wait->fixture->sample);
  g_mutex_unlock (&wait->fixture->lock);
  if (sample == NULL)
    return FALSE;
  s = gst_caps_get_structure (gst_sample_get_caps (sample), 0);
  buffer = gst_sample_get_buffer (sample);
  gst_structure_get_int (s, "width", &width);
  gst_structure_get_int (s, "height", &height);
  return width == wait->width && height == wait->height
         && gst_buffer_get_size (buffer) == (gsize) width * height * 4
         && pixel_at (buffer, width, 8, 8) == wait->rgb
         && pixel_at (buffer, width, width - 9, height - 9) == wait->rgb;
}

static gboolean
expect_frame (Fixture *fixture, int width, int height, guint32 rgb, guint timeout_ms)
{
  FrameWait wait = { fixture, width, height, rgb };

  if (!vsa_test_wait_until (frame_matches, &wait, timeout_ms))
    {
      g_test_fail_printf ("no %dx%d frame of #%06x in %u ms", width, height, rgb, timeout_ms);
      return FALSE;
    }
  return TRUE;
}

static guint
frame_count (Fixture *fixture)
{
  guint frames;

  g_mutex_lock (&fixture->lock);
  frames = fixture->frames;
  g_mutex_unlock (&fixture->lock);
  return frames;
}

/* Frames per second over one second. */
static guint
measure_fps (Fixture *fixture)
{
  guint before = frame_count (fixture);

  g_usleep (G_USEC_PER_SEC);
  return frame_count (fixture) - before;
}

static void
test_frames (Fixture *fixture, gconstpointer user_data)
{
  guint fps;

  if (!start_xvfb (fixture, 640, 480, "#ff0000") || !start_pipeline (fixture, TRUE, "30/1")
      || !expect_status (fixture, 0, TRUE, 640, 480, 2000, NULL)
      || !expect_frame (fixture, 640, 480, 0xff0000, 2000))
    return;
  fps = measure_fps (fixture);
  g_test_message ("%u frames in 1 s", fps);
  g_assert_cmpuint (fps, >=, 20);
  g_assert_cmpuint (fps, <=, 40);
}

static void
test_server_restart (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GstCaps) expected
      = gst_caps_from_string ("video/x-raw,format=BGRx,width=800,height=600");
  g_autoptr (GstElement) sink = NULL;
  g_autoptr (GstPad) pad = NULL;
  g_autoptr (GstCaps) caps = NULL;
  gint64 killed, lost, started, back;
  guint fps;

  if (!start_xvfb (fixture, 640, 480, "#ff0000") || !start_pipeline (fixture, TRUE, "30/1")
      || !expect_status (fixture, 0, TRUE, 640, 480, 2000, NULL)
      || !expect_frame (fixture, 640, 480, 0xff0000, 2000))
    return;

  killed = g_get_monotonic_time ();
  if (!stop_xvfb (fixture) || !expect_status (fixture, 1, FALSE, 0, 0, 2000, &lost))
    return;
  g_test_message ("connected=FALSE %.0f ms after SIGTERM", (lost - killed) / 1000.0);
  g_assert_cmpint (lost - killed, <, 2 * G_USEC_PER_SEC);
  /* Black frames at the last size, at the frame rate. */
  if (!expect_frame (fixture, 640, 480, 0x000000, 1000))
    return;
  fps = measure_fps (fixture);
  g_test_message ("%u black frames in 1 s", fps);
  g_assert_cmpuint (fps, >=, 20);

  started = g_get_monotonic_time ();
  if (!start_xvfb (fixture, 800, 600, "#0000ff")
      || !expect_status (fixture, 2, TRUE, 800, 600, 4000, &back))
    return;
  g_test_message ("connected=TRUE %.0f ms after Xvfb started", (back - started) / 1000.0);
  g_assert_cmpint (back - started, <, 4 * G_USEC_PER_SEC);
  if (!expect_frame (fixture, 800, 600, 0x0000ff, 2000))
    return;
  /* The caps changed with the size. */
  sink = gst_bin_get_by_name (GST_BIN (fixture->pipeline), "sink");
  pad = gst_element_get_static_pad (sink, "sink");
  caps = gst_pad_get_current_caps (pad);
  g_assert_nonnull (caps);
  g_assert_true (gst_caps_is_subset (caps, expected));
  /* Exactly one message per transition. */
  g_usleep (G_USEC_PER_SEC / 2);
  g_mutex_lock (&fixture->lock);
  g_assert_cmpuint (fixture->statuses->len, ==, 3);
  g_mutex_unlock (&fixture->lock);
}

static void
test_absent_at_start (Fixture *fixture, gconstpointer user_data)
{
  if (!start_pipeline (fixture, TRUE, "30/1")
      || !expect_status (fixture, 0, FALSE, 0, 0, 1000, NULL)
      || !expect_frame (fixture, 1280, 720, 0x000000, 2000))
    return;
  g_assert_cmpuint (measure_fps (fixture), >=, 20);
  if (!start_xvfb (fixture, 640, 480, "#00ff00")
      || !expect_status (fixture, 1, TRUE, 640, 480, 4000, NULL)
      || !expect_frame (fixture, 640, 480, 0x00ff00, 2000))
    return;
  g_assert_null (fixture->error);
}

/* Pixels near the screen's centre (where Xvfb puts the pointer) not of rgb. */
static guint
count_pointer_pixels (Fixture *fixture, guint32 rgb)
{
  g_autoptr (GstSample) sample = NULL;
  guint count = 0;

  g_mutex_lock (&fixture->lock);
  sample = gst_sample_ref (fixture->sample);
  g_mutex_unlock (&fixture->lock);
  for (int y = 240 - 32; y < 240 + 32; y++)
    for (int x = 320 - 32; x < 320 + 32; x++)
      count += pixel_at (gst_sample_get_buffer (sample), 640, x, y) != rgb;
  return count;
}

static void
test_pointer (Fixture *fixture, gconstpointer user_data)
{
  guint with_pointer, without_pointer;

  if (!start_xvfb (fixture, 640, 480, "#ff0000") || !start_pipeline (fixture, TRUE, "30/1")
      || !expect_frame (fixture, 640, 480, 0xff0000, 2000))
    return;
  with_pointer = count_pointer_pixels (fixture, 0xff0000);
  gst_element_set_state (fixture->pipeline, GST_STATE_NULL);
  g_clear_object (&fixture->pipeline);
  g_clear_pointer (&fixture->sample, gst_sample_unref);

  if (!start_pipeline (fixture, FALSE, "30/1") || !expect_frame (fixture, 640, 480, 0xff0000, 2000))
    return;
  without_pointer = count_pointer_pixels (fixture, 0xff0000);
  g_test_message ("pixels of the pointer: %u with show-pointer, %u without", with_pointer,
                  without_pointer);
  g_assert_cmpuint (with_pointer, >, 20);
  g_assert_cmpuint (without_pointer, ==, 0);
}

typedef struct
{
  Fixture *fixture;
  guint frames;
} CountWait;

static gboolean
more_frames (gpointer user_data)
{
  CountWait *wait = user_data;

  return frame_count (wait->fixture) > wait->frames;
}

/* Waits for the once-a-second repeat of a still screen: the next frame is then a second
 * away unless something asks for one. */
static void
wait_for_repeat (Fixture *fixture)
{
  CountWait wait = { fixture, frame_count (fixture) };

  g_assert_true (vsa_test_wait_until (more_frames, &wait, 2000));
}

/* With skip-unchanged a still screen costs one frame a second; a repaint, a pointer
 * move and a keyframe request each bring a frame at once. */
static void
test_skip_unchanged (Fixture *fixture, gconstpointer user_data)
{
  g_autofree char *display = g_strdup_printf (":%u", fixture->number);
  g_autoptr (GstElement) source = NULL;
  g_autoptr (GError) error = NULL;
  xcb_connection_t *conn;
  CountWait wait = { fixture, 0 };
  guint still;

  if (!start_xvfb (fixture, 640, 480, "#ff0000")
      || !start_pipeline_full (fixture, TRUE, TRUE, "30/1")
      || !expect_frame (fixture, 640, 480, 0xff0000, 2000))
    return;
  wait_for_repeat (fixture);
  still = frame_count (fixture);
  g_usleep (3 * G_USEC_PER_SEC);
  still = frame_count (fixture) - still;
  g_test_message ("%u frames in 3 s of a still screen", still);
  g_assert_cmpuint (still, >=, 2);
  g_assert_cmpuint (still, <=, 4);

  wait_for_repeat (fixture);
  g_assert_true (vsa_test_xvfb_set_color (fixture->xvfb, "#0000ff", &error));
  g_assert_no_error (error);
  if (!expect_frame (fixture, 640, 480, 0x0000ff, 500))
    return;

  wait_for_repeat (fixture);
  conn = xcb_connect (display, NULL);
  g_assert_false (xcb_connection_has_error (conn));
  wait.frames = frame_count (fixture);
  xcb_warp_pointer (conn, XCB_NONE, xcb_setup_roots_iterator (xcb_get_setup (conn)).data->root, 0,
                    0, 0, 0, 100, 100);
  xcb_flush (conn);
  g_assert_true (vsa_test_wait_until (more_frames, &wait, 500));
  xcb_disconnect (conn);

  wait_for_repeat (fixture);
  source = gst_bin_get_by_name (GST_BIN (fixture->pipeline), "source");
  wait.frames = frame_count (fixture);
  vsa_x11_src_request_frame (VSA_X11_SRC (source));
  g_assert_true (vsa_test_wait_until (more_frames, &wait, 500));
  g_assert_null (fixture->error);
}

typedef struct
{
  Fixture *fixture;
  guint frames;
  gint64 quiet_since;
} QuietWait;

/* No new frame for 600 ms (the refresh ended; the repeat is a second away). */
static gboolean
frames_stopped (gpointer user_data)
{
  QuietWait *wait = user_data;
  guint frames = frame_count (wait->fixture);

  if (frames != wait->frames)
    {
      wait->frames = frames;
      wait->quiet_since = g_get_monotonic_time ();
    }
  return g_get_monotonic_time () - wait->quiet_since > 600 * G_TIME_SPAN_MILLISECOND;
}

/* Calls vsa_x11_src_converged() for every frame the sink gets, as the agent's encoder
 * probe does for a frame whose quantiser is low enough. */
static GstPadProbeReturn
converge_every_frame (GstPad *pad, GstPadProbeInfo *info, gpointer source)
{
  vsa_x11_src_converged (source, GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info)));
  return GST_PAD_PROBE_OK;
}

/* Frames after a change of a still screen, with max-refresh-frames=10 and, when
 * converging, every frame said converged: the change's own frame, then refresh frames
 * until one is converged (the first) or ten are sent; then none until the repeat. */
static guint
frames_after_change (Fixture *fixture, gboolean converging)
{
  g_autoptr (GstElement) source = NULL;
  g_autoptr (GError) error = NULL;
  CountWait wait = { fixture, 0 };
  QuietWait quiet = { fixture, 0, g_get_monotonic_time () };
  guint before, frames;

  if (!start_xvfb (fixture, 640, 480, "#ff0000")
      || !start_pipeline_full (fixture, FALSE, TRUE, "30/1"))
    return 0;
  source = gst_bin_get_by_name (GST_BIN (fixture->pipeline), "source");
  g_object_set (source, "max-refresh-frames", 10, NULL);
  if (converging)
    {
      g_autoptr (GstPad) pad = gst_element_get_static_pad (source, "src");

      gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, converge_every_frame, source, NULL);
    }
  if (!expect_frame (fixture, 640, 480, 0xff0000, 2000))
    return 0;
  /* the start's own refresh done, a repeat just sent: the next is a second away */
  g_assert_true (vsa_test_wait_until (frames_stopped, &quiet, 5000));
  wait_for_repeat (fixture);
  before = frame_count (fixture);
  g_assert_true (vsa_test_xvfb_set_color (fixture->xvfb, "#00ff00", &error));
  g_assert_no_error (error);
  /* then half a second more: the repeat comes a second after the last frame */
  wait.frames = before + (converging ? 2 : 11) - 1;
  vsa_test_wait_until (more_frames, &wait, 3000);
  g_usleep (G_USEC_PER_SEC / 2);
  frames = frame_count (fixture) - before;
  g_test_message ("%u frames after the change", frames);
  g_assert_null (fixture->error);
  return frames;
}

/* Both count frames paced by the clock: valgrind outruns them. */
static void
test_refresh_until_bound (Fixture *fixture, gconstpointer user_data)
{
  if (vsa_test_skipped_under_valgrind ())
    return;
  g_assert_cmpuint (frames_after_change (fixture, FALSE), ==, 11);
}

static void
test_refresh_until_converged (Fixture *fixture, gconstpointer user_data)
{
  if (vsa_test_skipped_under_valgrind ())
    return;
  g_assert_cmpuint (frames_after_change (fixture, TRUE), ==, 2);
}

/* With skip-unchanged on a still screen, a change is captured when the X server reports
 * it, not at the next slot of the frame rate: at 2 fps the slots are 500 ms apart, and
 * the changed frame's timestamp falls between them. */
static void
test_change_captured_at_once (Fixture *fixture, gconstpointer user_data)
{
  const GstClockTime slot = GST_SECOND / 2;
  g_autoptr (GstSample) sample = NULL;
  g_autoptr (GError) error = NULL;
  GstClockTime pts;

  if (!start_xvfb (fixture, 640, 480, "#ff0000")
      || !start_pipeline_full (fixture, FALSE, TRUE, "2/1")
      || !expect_frame (fixture, 640, 480, 0xff0000, 2000))
    return;
  /* Past the frame interval since the last frame (a repeat), before the next slot. */
  wait_for_repeat (fixture);
  g_usleep (600 * G_TIME_SPAN_MILLISECOND);
  g_assert_true (vsa_test_xvfb_set_color (fixture->xvfb, "#00ff00", &error));
  g_assert_no_error (error);
  if (!expect_frame (fixture, 640, 480, 0x00ff00, 2000))
    return;
  g_mutex_lock (&fixture->lock);
  sample = gst_sample_ref (fixture->sample);
  g_mutex_unlock (&fixture->lock);
  pts = GST_BUFFER_PTS (gst_sample_get_buffer (sample));
  g_test_message ("changed frame at %" GST_TIME_FORMAT, GST_TIME_ARGS (pts));
  g_assert_true (GST_CLOCK_TIME_IS_VALID (pts));
  g_assert_cmpuint (pts % slot, !=, 0);
  g_assert_null (fixture->error);
}

/* The agent's video bin for choice (H264 with encoder) on a new Xvfb of width x height,
 * then webrtc_caps (as webrtcbin's pad would have them; NULL: none), decoder (a gst-launch
 * description; NULL: none) and an appsink counting frames, PLAYING. The sink, or NULL
 * when Xvfb did not start. */
static GstElement *
start_video_bin (Fixture *fixture, guint width, guint height, const VsaCodecChoice *choice,
                 VsaEncoderMode encoder, const char *webrtc_caps, const char *decoder)
{
  g_autoptr (VsaConfig) config = vsa_config_new ();
  g_autoptr (GError) error = NULL;
  GstElement *bin, *last, *sink;
  GstState state = GST_STATE_VOID_PENDING;

  if (!start_xvfb (fixture, width, height, "#ff0000"))
    return NULL;
  g_free (config->display);
  config->display = g_strdup_printf (":%u", fixture->number);
  config->source = VSA_SOURCE_X11;
  config->encoder = encoder;
  bin = vsa_pipeline_new_video_bin (config, choice, &error);
  g_assert_no_error (error);
  fixture->pipeline = gst_pipeline_new (NULL);
  gst_bin_add (GST_BIN (fixture->pipeline), bin);
  last = bin;
  if (webrtc_caps != NULL)
    {
      g_autoptr (GstCaps) caps = gst_caps_from_string (webrtc_caps);
      GstElement *filter = gst_element_factory_make_full ("capsfilter", "caps", caps, NULL);

      gst_bin_add (GST_BIN (fixture->pipeline), filter);
      g_assert_true (gst_element_link (last, filter));
      last = filter;
    }
  if (decoder != NULL)
    {
      GstElement *decode = gst_parse_bin_from_description (decoder, TRUE, &error);

      g_assert_no_error (error);
      gst_bin_add (GST_BIN (fixture->pipeline), decode);
      g_assert_true (gst_element_link (last, decode));
      last = decode;
    }
  sink = gst_element_factory_make_full ("appsink", "emit-signals", TRUE, "max-buffers", 1, "drop",
                                        TRUE, "sync", FALSE, NULL);
  gst_bin_add (GST_BIN (fixture->pipeline), sink);
  g_assert_true (gst_element_link (last, sink));
  g_signal_connect (sink, "new-sample", G_CALLBACK (new_sample_cb), fixture);
  g_assert_cmpint (gst_element_set_state (fixture->pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
  g_assert_cmpint (gst_element_get_state (fixture->pipeline, &state, NULL, 5 * GST_SECOND), !=,
                   GST_STATE_CHANGE_FAILURE);
  return sink;
}

/* The agent's video bin: a keyframe request from the browser (here from the sink, as
 * rtpsession sends it) brings a frame of a still screen at once, not at the next repeat. */
static void
test_keyframe_request (Fixture *fixture, gconstpointer user_data)
{
  VsaCodecChoice choice = { .codec = VSA_CODEC_VP8, .payload_type = 96 };
  GstElement *sink = start_video_bin (fixture, 640, 480, &choice, VSA_ENCODER_AUTO, NULL, NULL);
  g_autoptr (GstPad) sink_pad = NULL;
  CountWait wait = { fixture, 0 };

  if (sink == NULL)
    return;
  wait_for_repeat (fixture);
  wait_for_repeat (fixture);

  wait.frames = frame_count (fixture);
  sink_pad = gst_element_get_static_pad (sink, "sink");
  g_assert_true (gst_pad_push_event (
      sink_pad, gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM,
                                      gst_structure_new ("GstForceKeyUnit", "all-headers",
                                                         G_TYPE_BOOLEAN, TRUE, NULL))));
  g_assert_true (vsa_test_wait_until (more_frames, &wait, 500));
}

/* Luma PSNR of the decoded BGRx frame's rect against pattern (BGRx, width wide). */
static double
luma_psnr (GstBuffer *frame, const guint8 *pattern, int width, int x0, int y0, int w, int h)
{
  GstMapInfo map;
  double squared_error = 0;

  g_assert_true (gst_buffer_map (frame, &map, GST_MAP_READ));
  g_assert_cmpuint (map.size, >=, (gsize) width * (y0 + h) * 4);
  for (int y = y0; y < y0 + h; y++)
    for (int x = x0; x < x0 + w; x++)
      {
        const guint8 *a = map.data + ((gsize) y * width + x) * 4;
        const guint8 *b = pattern + ((gsize) y * width + x) * 4;
        double d = (0.114 * a[0] + 0.587 * a[1] + 0.299 * a[2])
                   - (0.114 * b[0] + 0.587 * b[1] + 0.299 * b[2]);

        squared_error += d * d;
      }
  gst_buffer_unmap (frame, &map);
  return squared_error == 0 ? 99 : 10 * log10 (255.0 * 255 * w * h / squared_error);
}

/* Lines of "words" on white, as a page of text: letters of dark strokes of one or two
 * pixels, some taller. */
static guint8 *
text_pattern (int width, int height)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  guint8 *pixels = g_malloc (width * height * 4);

  memset (pixels, 0xff, width * height * 4);
  for (int line = 8; line + 14 < height; line += 16)
    for (int x = 8; x < width - 60; x += 6)
      {
        int top = line + (g_rand_int_range (rand, 0, 4) == 0 ? 0 : 4);
        int stroke = g_rand_int_range (rand, 1, 3);

        if (g_rand_int_range (rand, 0, 7) == 0)
          continue; /* a space */
        for (int y = top; y < line + 12; y++)
          for (int i = x; i < x + stroke; i++)
            memset (pixels + ((gsize) y * width + i) * 4, 0x20, 3);
        for (int i = x; i < x + 4; i++) /* the letter's bar */
          memset (pixels + ((gsize) (line + 11) * width + i) * 4, 0x20, 3);
      }
  return pixels;
}

/* The agent's video bin, decoded: a page of text appearing on a still
 * screen gets its change frame and refresh frames until the encoder's quantiser says the
 * picture converged (well before the two-second bound), and the picture then is sharp. */
static void
test_refine_change (Fixture *fixture, gconstpointer user_data)
{
  VsaCodecChoice choice = { .codec = GPOINTER_TO_INT (user_data),
                            .payload_type = 96,
                            .profile_level_id = (char *) "42e01f" };
  const char *depay = choice.codec == VSA_CODEC_H264  ? "rtph264depay ! avdec_h264"
                      : choice.codec == VSA_CODEC_VP8 ? "rtpvp8depay ! vp8dec"
                                                      : "rtpvp9depay ! vp9dec";
  g_autofree char *decoder
      = g_strdup_printf ("%s ! videoconvert ! capsfilter caps=video/x-raw,format=BGRx", depay);
  g_autofree guint8 *pattern = text_pattern (640, 480);
  g_autoptr (GstSample) sample = NULL;
  xcb_connection_t *conn;
  xcb_screen_t *screen;
  xcb_gcontext_t gc;
  QuietWait quiet = { fixture, 0, g_get_monotonic_time () };
  guint before, frames;
  double psnr;

  /* encoding at the frame rate, and quiet gaps of 600 ms: valgrind outruns both */
  if (vsa_test_skipped_under_valgrind ())
    return;
  if (start_video_bin (fixture, 640, 480, &choice, VSA_ENCODER_SOFTWARE, NULL, decoder) == NULL)
    return;
  /* the first frame and its refresh, then a still screen */
  g_assert_true (vsa_test_wait_until (more_frames, &(CountWait){ fixture, 0 }, 5000));
  g_assert_true (vsa_test_wait_until (frames_stopped, &quiet, 5000));
  conn = xcb_connect (fixture->xvfb->display, NULL);
  screen = xcb_setup_roots_iterator (xcb_get_setup (conn)).data;
  gc = xcb_generate_id (conn);
  xcb_create_gc (conn, gc, screen->root, 0, NULL);
  before = frame_count (fixture);
  /* one request: the capture sees all of it or none */
  xcb_put_image (conn, XCB_IMAGE_FORMAT_Z_PIXMAP, screen->root, gc, 640, 480, 0, 0, 0, 24,
                 640 * 480 * 4, pattern);
  free (xcb_get_input_focus_reply (conn, xcb_get_input_focus (conn), NULL));
  xcb_disconnect (conn);
  quiet.frames = before;
  quiet.quiet_since = g_get_monotonic_time ();
  g_assert_true (vsa_test_wait_until (frames_stopped, &quiet, 10000));
  frames = frame_count (fixture) - before;
  g_mutex_lock (&fixture->lock);
  sample = gst_sample_ref (fixture->sample);
  g_mutex_unlock (&fixture->lock);
  /* the top half: the pointer sits in the middle of the screen */
  psnr = luma_psnr (gst_sample_get_buffer (sample), pattern, 640, 0, 0, 640, 224);
  g_test_message ("%u frames after the change; the last at %.1f dB", frames, psnr);
  g_assert_cmpuint (frames, >=, 2);
  g_assert_cmpuint (frames, <, 1 + 30 * 2);
  g_assert_cmpfloat (psnr, >=, 35);
  g_assert_null (fixture->error);
}

/* A 1920x1080 screen in H264 to a browser that offered level 3.1 (Chromium: at most
 * 1280x720) still streams: webrtcbin's caps carry the offered profile-level-id, as here. */
static void
test_h264_above_offered_level (Fixture *fixture, gconstpointer user_data)
{
  VsaCodecChoice choice
      = { .codec = VSA_CODEC_H264, .payload_type = 102, .profile_level_id = (char *) "42e01f" };
  CountWait wait = { fixture, 0 };

  if (start_video_bin (fixture, 1920, 1080, &choice, VSA_ENCODER_AUTO,
                       "application/x-rtp,media=video,encoding-name=H264,payload=102,"
                       "clock-rate=90000,packetization-mode=(string)1,"
                       "profile-level-id=(string)42e01f",
                       NULL)
      == NULL)
    return;
  g_assert_true (vsa_test_wait_until (more_frames, &wait, 5000));
  g_assert_null (fixture->error);
}

/* The VA-API encoder, where the machine has one (skipped otherwise): constrained-baseline
 * H264 relabelled for the offer, its bitrate set while it runs. */
static void
test_h264_vaapi (Fixture *fixture, gconstpointer user_data)
{
  VsaCodecChoice choice
      = { .codec = VSA_CODEC_H264, .payload_type = 102, .profile_level_id = (char *) "42e01f" };
  g_autoptr (GError) error = NULL;
  g_autofree char *reason = NULL;
  g_autoptr (GstElement) encoder = NULL;
  g_autoptr (GstElement) video = NULL;
  CountWait wait = { fixture, 0 };
  VsaH264Encoder h264;
  guint kbps = 0;

  if (!vsa_encoder_settle_h264 (VSA_ENCODER_VAAPI, &h264, &reason, &error))
    {
      g_test_skip (error->message);
      return;
    }
  g_test_message ("%s (%s)", vsa_h264_encoder_to_string (h264), reason);
  if (start_video_bin (fixture, 1280, 720, &choice, VSA_ENCODER_VAAPI,
                       "application/x-rtp,media=video,encoding-name=H264,payload=102,"
                       "clock-rate=90000,packetization-mode=(string)1,"
                       "profile-level-id=(string)42e01f",
                       NULL)
      == NULL)
    return;
  encoder = gst_bin_get_by_name (GST_BIN (fixture->pipeline), "encoder");
  g_assert_nonnull (encoder);
  g_assert_cmpstr (GST_OBJECT_NAME (gst_element_get_factory (encoder)), ==, "vaapih264enc");
  g_assert_true (vsa_test_wait_until (more_frames, &wait, 5000));

  video = gst_bin_get_by_name (GST_BIN (fixture->pipeline), "video");
  vsa_pipeline_set_bitrate (video, VSA_CODEC_H264, 800);
  g_object_get (encoder, "bitrate", &kbps, NULL);
  g_assert_cmpuint (kbps, ==, 800);
  vsa_test_xvfb_set_color (fixture->xvfb, "#00ff00", NULL);
  wait.frames = frame_count (fixture);
  g_assert_true (vsa_test_wait_until (more_frames, &wait, 2000));
  g_assert_null (fixture->error);
}

static void
assert_stops_promptly (Fixture *fixture)
{
  gint64 start = g_get_monotonic_time ();

  g_assert_cmpint (gst_element_set_state (fixture->pipeline, GST_STATE_NULL), ==,
                   GST_STATE_CHANGE_SUCCESS);
  g_test_message ("PLAYING to NULL in %.1f ms", (g_get_monotonic_time () - start) / 1000.0);
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);
  g_clear_object (&fixture->pipeline);
  g_clear_pointer (&fixture->sample, gst_sample_unref);
}

/* At one frame every 10 s the source is always in its clock wait: unlock must end it. */
static void
test_stop (Fixture *fixture, gconstpointer user_data)
{
  if (!start_pipeline (fixture, TRUE, "1/10") || !expect_frame (fixture, 1280, 720, 0, 2000))
    return;
  assert_stops_promptly (fixture);
  if (!start_xvfb (fixture, 640, 480, "#ff0000") || !start_pipeline (fixture, TRUE, "1/10")
      || !expect_frame (fixture, 640, 480, 0xff0000, 2000))
    return;
  assert_stops_promptly (fixture);
  if (!start_pipeline (fixture, TRUE, "30/1") || !expect_frame (fixture, 640, 480, 0xff0000, 2000))
    return;
  assert_stops_promptly (fixture);
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  g_assert_true (vsa_x11_src_register ());
  g_assert_true (vsa_x11_src_register ());

  g_test_add ("/vsa/x11-src/frames", Fixture, NULL, fixture_set_up, test_frames, fixture_tear_down);
  g_test_add ("/vsa/x11-src/server-restart", Fixture, NULL, fixture_set_up, test_server_restart,
              fixture_tear_down);
  g_test_add ("/vsa/x11-src/absent-at-start", Fixture, NULL, fixture_set_up, test_absent_at_start,
              fixture_tear_down);
  g_test_add ("/vsa/x11-src/pointer", Fixture, NULL, fixture_set_up, test_pointer,
              fixture_tear_down);
  g_test_add ("/vsa/x11-src/skip-unchanged", Fixture, NULL, fixture_set_up, test_skip_unchanged,
              fixture_tear_down);
  g_test_add ("/vsa/x11-src/refresh-until-bound", Fixture, NULL, fixture_set_up,
              test_refresh_until_bound, fixture_tear_down);
  g_test_add ("/vsa/x11-src/refresh-until-converged", Fixture, NULL, fixture_set_up,
              test_refresh_until_converged, fixture_tear_down);
  g_test_add ("/vsa/x11-src/refine-change/h264", Fixture, GINT_TO_POINTER (VSA_CODEC_H264),
              fixture_set_up, test_refine_change, fixture_tear_down);
  g_test_add ("/vsa/x11-src/refine-change/vp8", Fixture, GINT_TO_POINTER (VSA_CODEC_VP8),
              fixture_set_up, test_refine_change, fixture_tear_down);
  g_test_add ("/vsa/x11-src/refine-change/vp9", Fixture, GINT_TO_POINTER (VSA_CODEC_VP9),
              fixture_set_up, test_refine_change, fixture_tear_down);
  g_test_add ("/vsa/x11-src/change-captured-at-once", Fixture, NULL, fixture_set_up,
              test_change_captured_at_once, fixture_tear_down);
  g_test_add ("/vsa/x11-src/keyframe-request", Fixture, NULL, fixture_set_up, test_keyframe_request,
              fixture_tear_down);
  g_test_add ("/vsa/x11-src/h264-above-offered-level", Fixture, NULL, fixture_set_up,
              test_h264_above_offered_level, fixture_tear_down);
  g_test_add ("/vsa/x11-src/h264-vaapi", Fixture, NULL, fixture_set_up, test_h264_vaapi,
              fixture_tear_down);
  g_test_add ("/vsa/x11-src/stop", Fixture, NULL, fixture_set_up, test_stop, fixture_tear_down);
  ret = g_test_run ();
  gst_deinit (); /* for leak checkers */
  return ret;
}
