/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vsa-x11-src.h"

#include <errno.h>

#include "vsa-x11-capture.h"
#include "vsa-x11-connection.h"

GST_DEBUG_CATEGORY_STATIC (vsa_x11_src_debug);
#define GST_CAT_DEFAULT vsa_x11_src_debug

#define RETRY_INTERVAL_US (2 * G_USEC_PER_SEC)
/* With skip-unchanged, a still screen is sent again this often: a receiver that mutes a
 * track without packets (Firefox) keeps it, and a lost frame is repaired at least then. */
#define REPEAT_INTERVAL GST_SECOND

struct _VsaX11Src
{
  GstPushSrc parent;

  /* Under the object lock: properties, the screen size get_caps offers, the clock wait. */
  char *display_name;
  gboolean show_pointer;
  gboolean skip_unchanged;
  guint max_refresh_frames;
  GstClockTime converged_pts; /* vsa_x11_src_converged(); NONE: not since the start */
  int width, height;
  GstClockID clock_id;
  gboolean flushing;
  GstPoll *poll; /* the X connection, for skip-unchanged's wait for damage; flushable */

  /* Streaming thread (and start/stop, which never run beside it). */
  VsaX11Capture *capture; /* from start to stop */
  GstPollFD x_fd;         /* the capture's fd, in poll; fd -1 when not */
  int caps_width, caps_height, fps_n, fps_d;
  guint64 last_frame;
  gboolean have_last_frame;
  GstClockTime last_push;   /* NONE: push the next frame whatever */
  gint frame_requested;     /* atomic: vsa_x11_src_request_frame() */
  GstClockTime last_change; /* the last frame that showed a change; NONE: none yet */
  guint refresh_left;       /* refresh frames still allowed after it */
};

enum
{
  PROP_0,
  PROP_DISPLAY_NAME,
  PROP_SHOW_POINTER,
  PROP_SKIP_UNCHANGED,
  PROP_MAX_REFRESH_FRAMES,
};

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE (
    "src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-raw, format=(string)BGRx, width=(int)[1, 65535], "
                     "height=(int)[1, 65535], framerate=(fraction)[1/2147483647, 2147483647/1], "
                     "pixel-aspect-ratio=(fraction)1/1"));

G_DEFINE_FINAL_TYPE_WITH_CODE (VsaX11Src, vsa_x11_src, GST_TYPE_PUSH_SRC,
                               GST_DEBUG_CATEGORY_INIT (vsa_x11_src_debug, "vsax11src", 0,
                                                        "X11 screen capture over XCB"))

static void
vsa_x11_src_post_status (VsaX11Src *self, gboolean connected, const char *reason)
{
  GstStructure *s;

  GST_OBJECT_LOCK (self);
  s = gst_structure_new ("vsa-x11-src", "display", G_TYPE_STRING,
                         vsa_x11_connection_label (self->display_name), "connected", G_TYPE_BOOLEAN,
                         connected, NULL);
  if (connected)
    gst_structure_set (s, "width", G_TYPE_INT, self->width, "height", G_TYPE_INT, self->height,
                       NULL);
  else
    gst_structure_set (s, "reason", G_TYPE_STRING, reason, NULL);
  GST_OBJECT_UNLOCK (self);
  gst_element_post_message (GST_ELEMENT (self), gst_message_new_element (GST_OBJECT (self), s));
}

/* Takes the capture's fd out of the poll: its connection is gone or about to be. */
static void
vsa_x11_src_unwatch (VsaX11Src *self)
{
  if (self->x_fd.fd >= 0)
    gst_poll_remove_fd (self->poll, &self->x_fd);
  gst_poll_fd_init (&self->x_fd);
}

/* Drops the connection; the next attempt is in 2 s. reason is posted when this is a
 * transition, i.e. once per outage. */
static void
vsa_x11_src_lost (VsaX11Src *self, const char *reason)
{
  vsa_x11_src_unwatch (self);
  if (!vsa_x11_capture_close (self->capture))
    return;
  GST_WARNING_OBJECT (self, "%s; retrying every 2 s", reason);
  vsa_x11_src_post_status (self, FALSE, reason);
}

/* FALSE (an element error posted) for a display we cannot capture; one that is away is
 * tried again later. */
static gboolean
vsa_x11_src_connect (VsaX11Src *self)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *name = NULL;

  GST_OBJECT_LOCK (self);
  name = g_strdup (self->display_name);
  GST_OBJECT_UNLOCK (self);
  if (!vsa_x11_capture_connect (self->capture, name, &error))
    {
      if (g_error_matches (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS))
        {
          GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", error->message), (NULL));
          return FALSE;
        }
      vsa_x11_src_lost (self, error->message);
      return TRUE;
    }
  GST_OBJECT_LOCK (self);
  vsa_x11_capture_get_size (self->capture, &self->width, &self->height);
  GST_OBJECT_UNLOCK (self);
  self->last_push = GST_CLOCK_TIME_NONE;
  vsa_x11_src_post_status (self, TRUE, NULL);
  return TRUE;
}

/* Sleeps until running time t on the element's clock; GST_FLOW_FLUSHING when unlocked. */
static GstFlowReturn
vsa_x11_src_wait_until (VsaX11Src *self, GstClock *clock, GstClockTime base_time, GstClockTime t)
{
  GstClockReturn ret;
  GstClockID id;

  GST_OBJECT_LOCK (self);
  if (self->flushing)
    {
      GST_OBJECT_UNLOCK (self);
      return GST_FLOW_FLUSHING;
    }
  id = self->clock_id = gst_clock_new_single_shot_id (clock, base_time + t);
  GST_OBJECT_UNLOCK (self);
  ret = gst_clock_id_wait (id, NULL);
  GST_OBJECT_LOCK (self);
  self->clock_id = NULL;
  GST_OBJECT_UNLOCK (self);
  gst_clock_id_unref (id);
  return ret == GST_CLOCK_UNSCHEDULED ? GST_FLOW_FLUSHING : GST_FLOW_OK;
}

static gboolean
vsa_x11_src_waits_for_damage (VsaX11Src *self)
{
  gboolean skip_unchanged;

  GST_OBJECT_LOCK (self);
  skip_unchanged = self->skip_unchanged;
  GST_OBJECT_UNLOCK (self);
  return skip_unchanged && vsa_x11_capture_reports_changes (self->capture)
         && self->last_push != GST_CLOCK_TIME_NONE;
}

/* With skip-unchanged, between slots: a change the X server reports once a frame
 * interval has passed since the last frame is captured at once rather than at the next
 * slot (half a frame interval sooner on average: 17 ms at 30 fps, for typing on a still
 * screen). Returns at slot, or earlier with *pts at the change. */
static GstFlowReturn
vsa_x11_src_wait_for_damage (VsaX11Src *self, GstClock *clock, GstClockTime base_time,
                             GstClockTime slot, GstClockTime *pts)
{
  GstClockTime earliest
      = self->last_push + gst_util_uint64_scale_int (GST_SECOND, self->fps_d, self->fps_n);
  GstClockTime now;
  GstFlowReturn ret;

  if (earliest < slot)
    {
      ret = vsa_x11_src_wait_until (self, clock, base_time, earliest);
      if (ret != GST_FLOW_OK)
        return ret;
    }
  if (self->x_fd.fd < 0)
    {
      self->x_fd.fd = vsa_x11_capture_get_fd (self->capture);
      gst_poll_add_fd (self->poll, &self->x_fd);
      gst_poll_fd_ctl_read (self->poll, &self->x_fd, TRUE);
    }
  for (;;)
    {
      now = gst_clock_get_time (clock);
      now = now > base_time ? now - base_time : 0;
      if (now >= slot)
        return GST_FLOW_OK;
      /* before polling: xcb may hold events it read while waiting for a reply */
      if (vsa_x11_capture_drain_events (self->capture))
        {
          *pts = now;
          return GST_FLOW_OK;
        }
      if (gst_poll_wait (self->poll, slot - now) < 0 && errno == EBUSY)
        return GST_FLOW_FLUSHING;
    }
}

/* Waits for the next frame slot on the pipeline clock and gives its running time. */
static GstFlowReturn
vsa_x11_src_wait_for_slot (VsaX11Src *self, GstClockTime *pts)
{
  g_autoptr (GstClock) clock = gst_element_get_clock (GST_ELEMENT (self));
  GstClockTime base_time = gst_element_get_base_time (GST_ELEMENT (self));
  GstClockTime now, slot;
  GstFlowReturn ret;
  guint64 frame;

  *pts = GST_CLOCK_TIME_NONE;
  if (clock == NULL)
    return GST_FLOW_OK; /* no clock, no pacing: as ximagesrc */
  now = gst_clock_get_time (clock);
  now = now > base_time ? now - base_time : 0;
  frame = gst_util_uint64_scale (now, self->fps_n, GST_SECOND * self->fps_d);
  if (self->have_last_frame && frame <= self->last_frame)
    frame = self->last_frame + 1;
  slot = gst_util_uint64_scale (frame, GST_SECOND * self->fps_d, self->fps_n);
  *pts = slot;
  if (slot > now)
    {
      ret = vsa_x11_src_waits_for_damage (self)
                ? vsa_x11_src_wait_for_damage (self, clock, base_time, slot, pts)
                : vsa_x11_src_wait_until (self, clock, base_time, slot);
      if (ret != GST_FLOW_OK)
        return ret;
    }
  self->last_frame = frame;
  self->have_last_frame = TRUE;
  return GST_FLOW_OK;
}

typedef enum
{
  FRAME_SKIPPED,
  FRAME_CHANGED, /* the screen or pointer changed, or a keyframe was asked for */
  FRAME_REFRESH, /* the screen is still but the encoder's picture of it is not done */
  FRAME_REPEAT,  /* REPEAT_INTERVAL passed, or skip-unchanged is off */
} FrameKind;

/* Whether the encoder's picture of the last change has converged: told so for a frame
 * after it. Not for the change's own frame: its quantiser is where the encoder started,
 * and x264 raises it along the rows when the frame runs out of bits. */
static gboolean
vsa_x11_src_change_converged (VsaX11Src *self)
{
  GstClockTime converged;

  GST_OBJECT_LOCK (self);
  converged = self->converged_pts;
  GST_OBJECT_UNLOCK (self);
  return GST_CLOCK_TIME_IS_VALID (converged) && GST_CLOCK_TIME_IS_VALID (self->last_change)
         && converged > self->last_change;
}

/* With skip-unchanged, a frame is sent only when the screen changed, a keyframe was
 * asked for, the last one is REPEAT_INTERVAL old, or, after a change, until the encoder
 * has refined its picture (max-refresh-frames at most). Encoding a still screen again
 * costs as much as a moving one. */
static FrameKind
vsa_x11_src_frame_kind (VsaX11Src *self, GstClockTime pts)
{
  gboolean skip_unchanged, show_pointer;

  GST_OBJECT_LOCK (self);
  skip_unchanged = self->skip_unchanged;
  show_pointer = self->show_pointer;
  GST_OBJECT_UNLOCK (self);
  if (!skip_unchanged || !vsa_x11_capture_reports_changes (self->capture))
    return FRAME_REPEAT;
  /* Always asked, so the event queue is drained. */
  if (vsa_x11_capture_changed (self->capture, show_pointer)
      || g_atomic_int_exchange (&self->frame_requested, FALSE)
      || self->last_push == GST_CLOCK_TIME_NONE || !GST_CLOCK_TIME_IS_VALID (pts))
    return FRAME_CHANGED;
  if (self->refresh_left > 0 && !vsa_x11_src_change_converged (self))
    return FRAME_REFRESH;
  return pts >= self->last_push + REPEAT_INTERVAL ? FRAME_REPEAT : FRAME_SKIPPED;
}

/* The screen, or a black frame while the display is away. */
static GstBuffer *
vsa_x11_src_capture (VsaX11Src *self)
{
  g_autoptr (GError) error = NULL;
  GstBuffer *buffer = NULL;
  gboolean show_pointer;

  GST_OBJECT_LOCK (self);
  show_pointer = self->show_pointer;
  GST_OBJECT_UNLOCK (self);
  if (vsa_x11_capture_is_open (self->capture))
    {
      buffer = vsa_x11_capture_grab (self->capture, show_pointer, &error);
      if (buffer == NULL)
        vsa_x11_src_lost (self, error->message);
    }
  if (buffer == NULL)
    buffer = vsa_x11_capture_black_frame (self->capture, self->caps_width, self->caps_height);
  return buffer;
}

static GstFlowReturn
vsa_x11_src_create (GstPushSrc *src, GstBuffer **out)
{
  VsaX11Src *self = VSA_X11_SRC (src);
  GstBuffer *buffer;
  GstClockTime pts;
  GstFlowReturn ret;
  FrameKind kind;

  do
    {
      ret = vsa_x11_src_wait_for_slot (self, &pts);
      if (ret != GST_FLOW_OK)
        return ret;
    }
  while ((kind = vsa_x11_src_frame_kind (self, pts)) == FRAME_SKIPPED);
  if (kind == FRAME_CHANGED)
    {
      self->last_change = pts;
      GST_OBJECT_LOCK (self);
      self->refresh_left = self->max_refresh_frames;
      GST_OBJECT_UNLOCK (self);
    }
  else if (kind == FRAME_REFRESH)
    self->refresh_left--;
  if (!vsa_x11_capture_is_open (self->capture) && vsa_x11_capture_may_connect (self->capture)
      && !vsa_x11_src_connect (self))
    return GST_FLOW_ERROR;
  /* Back with another screen size: new caps before frames of that size. */
  if (vsa_x11_capture_is_open (self->capture)
      && (self->width != self->caps_width || self->height != self->caps_height)
      && !gst_base_src_negotiate (GST_BASE_SRC (self)))
    return GST_FLOW_NOT_NEGOTIATED;
  buffer = vsa_x11_src_capture (self);
  GST_BUFFER_PTS (buffer) = pts;
  GST_BUFFER_DURATION (buffer) = gst_util_uint64_scale_int (GST_SECOND, self->fps_d, self->fps_n);
  self->last_push = pts;
  *out = buffer;
  return GST_FLOW_OK;
}

static GstCaps *
vsa_x11_src_get_caps (GstBaseSrc *src, GstCaps *filter)
{
  VsaX11Src *self = VSA_X11_SRC (src);
  GstCaps *caps;

  GST_OBJECT_LOCK (self);
  caps = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "BGRx", "width", G_TYPE_INT,
                              self->width, "height", G_TYPE_INT, self->height, "framerate",
                              GST_TYPE_FRACTION_RANGE, 1, G_MAXINT, G_MAXINT, 1,
                              "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, NULL);
  GST_OBJECT_UNLOCK (self);
  if (filter != NULL)
    {
      GstCaps *intersection = gst_caps_intersect_full (filter, caps, GST_CAPS_INTERSECT_FIRST);

      gst_caps_unref (caps);
      caps = intersection;
    }
  return caps;
}

static GstCaps *
vsa_x11_src_fixate (GstBaseSrc *src, GstCaps *caps)
{
  caps = gst_caps_make_writable (caps);
  gst_structure_fixate_field_nearest_fraction (gst_caps_get_structure (caps, 0), "framerate", 30,
                                               1);
  return GST_BASE_SRC_CLASS (vsa_x11_src_parent_class)->fixate (src, caps);
}

static gboolean
vsa_x11_src_set_caps (GstBaseSrc *src, GstCaps *caps)
{
  VsaX11Src *self = VSA_X11_SRC (src);
  const GstStructure *s = gst_caps_get_structure (caps, 0);
  int width, height, fps_n, fps_d;

  if (!gst_structure_get_int (s, "width", &width) || !gst_structure_get_int (s, "height", &height)
      || !gst_structure_get_fraction (s, "framerate", &fps_n, &fps_d) || fps_n <= 0 || fps_d <= 0)
    return FALSE;
  self->caps_width = width;
  self->caps_height = height;
  self->fps_n = fps_n;
  self->fps_d = fps_d;
  return TRUE;
}

static gboolean
vsa_x11_src_query (GstBaseSrc *src, GstQuery *query)
{
  VsaX11Src *self = VSA_X11_SRC (src);
  GstClockTime frame;

  if (GST_QUERY_TYPE (query) != GST_QUERY_LATENCY)
    return GST_BASE_SRC_CLASS (vsa_x11_src_parent_class)->query (src, query);
  if (self->fps_n <= 0)
    return FALSE;
  /* A frame is pushed when it has been captured, at the start of its slot. Downstream
   * may take as long as it likes: we only capture later. */
  frame = gst_util_uint64_scale_int (GST_SECOND, self->fps_d, self->fps_n);
  gst_query_set_latency (query, TRUE, frame, GST_CLOCK_TIME_NONE);
  return TRUE;
}

static gboolean
vsa_x11_src_start (GstBaseSrc *src)
{
  VsaX11Src *self = VSA_X11_SRC (src);

  self->have_last_frame = FALSE;
  self->last_push = GST_CLOCK_TIME_NONE;
  self->last_change = GST_CLOCK_TIME_NONE;
  self->refresh_left = 0;
  GST_OBJECT_LOCK (self);
  self->converged_pts = GST_CLOCK_TIME_NONE;
  GST_OBJECT_UNLOCK (self);
  /* No display yet: start anyway with black frames (the size get_caps offers). */
  self->capture = vsa_x11_capture_new (RETRY_INTERVAL_US);
  if (vsa_x11_src_connect (self))
    return TRUE;
  g_clear_pointer (&self->capture, vsa_x11_capture_free); /* no stop after a failed start */
  return FALSE;
}

static gboolean
vsa_x11_src_stop (GstBaseSrc *src)
{
  VsaX11Src *self = VSA_X11_SRC (src);

  vsa_x11_src_unwatch (self);
  g_clear_pointer (&self->capture, vsa_x11_capture_free);
  return TRUE;
}

static gboolean
vsa_x11_src_unlock (GstBaseSrc *src)
{
  VsaX11Src *self = VSA_X11_SRC (src);

  GST_OBJECT_LOCK (self);
  self->flushing = TRUE;
  if (self->clock_id != NULL)
    gst_clock_id_unschedule (self->clock_id);
  gst_poll_set_flushing (self->poll, TRUE);
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static gboolean
vsa_x11_src_unlock_stop (GstBaseSrc *src)
{
  VsaX11Src *self = VSA_X11_SRC (src);

  GST_OBJECT_LOCK (self);
  self->flushing = FALSE;
  gst_poll_set_flushing (self->poll, FALSE);
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static void
vsa_x11_src_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  VsaX11Src *self = VSA_X11_SRC (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id)
    {
    case PROP_DISPLAY_NAME:
      g_free (self->display_name);
      self->display_name = g_value_dup_string (value);
      break;
    case PROP_SHOW_POINTER:
      self->show_pointer = g_value_get_boolean (value);
      break;
    case PROP_SKIP_UNCHANGED:
      self->skip_unchanged = g_value_get_boolean (value);
      break;
    case PROP_MAX_REFRESH_FRAMES:
      self->max_refresh_frames = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
  GST_OBJECT_UNLOCK (self);
}

static void
vsa_x11_src_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  VsaX11Src *self = VSA_X11_SRC (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id)
    {
    case PROP_DISPLAY_NAME:
      g_value_set_string (value, self->display_name);
      break;
    case PROP_SHOW_POINTER:
      g_value_set_boolean (value, self->show_pointer);
      break;
    case PROP_SKIP_UNCHANGED:
      g_value_set_boolean (value, self->skip_unchanged);
      break;
    case PROP_MAX_REFRESH_FRAMES:
      g_value_set_uint (value, self->max_refresh_frames);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
  GST_OBJECT_UNLOCK (self);
}

static void
vsa_x11_src_finalize (GObject *object)
{
  VsaX11Src *self = VSA_X11_SRC (object);

  g_free (self->display_name);
  gst_poll_free (self->poll);
  G_OBJECT_CLASS (vsa_x11_src_parent_class)->finalize (object);
}

static void
vsa_x11_src_class_init (VsaX11SrcClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSrcClass *base_class = GST_BASE_SRC_CLASS (klass);

  object_class->set_property = vsa_x11_src_set_property;
  object_class->get_property = vsa_x11_src_get_property;
  object_class->finalize = vsa_x11_src_finalize;
  g_object_class_install_property (
      object_class, PROP_DISPLAY_NAME,
      g_param_spec_string ("display-name", "Display", "X display to capture (NULL: $DISPLAY)", NULL,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (
      object_class, PROP_SHOW_POINTER,
      g_param_spec_boolean ("show-pointer", "Show pointer", "Draw the mouse pointer", TRUE,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (
      object_class, PROP_SKIP_UNCHANGED,
      g_param_spec_boolean ("skip-unchanged", "Skip unchanged",
                            "Send a frame only when the screen or pointer changed (X DAMAGE), "
                            "a keyframe was requested, or once a second",
                            FALSE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (
      object_class, PROP_MAX_REFRESH_FRAMES,
      g_param_spec_uint ("max-refresh-frames", "Most refresh frames",
                         "With skip-unchanged: after a change, frames sent at the full rate of "
                         "the still screen until vsa_x11_src_converged() says the encoder's "
                         "picture of it is refined, this many at most (0: none)",
                         0, G_MAXUINT, 0, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  gst_element_class_set_static_metadata (
      element_class, "X11 screen source (XCB)", "Source/Video",
      "Captures the X screen with XCB and MIT-SHM; sends black frames while the display is "
      "away",
      "vm-stream-agent");
  gst_element_class_add_static_pad_template (element_class, &src_template);

  base_class->start = vsa_x11_src_start;
  base_class->stop = vsa_x11_src_stop;
  base_class->get_caps = vsa_x11_src_get_caps;
  base_class->fixate = vsa_x11_src_fixate;
  base_class->set_caps = vsa_x11_src_set_caps;
  base_class->query = vsa_x11_src_query;
  base_class->unlock = vsa_x11_src_unlock;
  base_class->unlock_stop = vsa_x11_src_unlock_stop;
  GST_PUSH_SRC_CLASS (klass)->create = vsa_x11_src_create;
}

static void
vsa_x11_src_init (VsaX11Src *self)
{
  self->show_pointer = TRUE;
  self->width = 1280;
  self->height = 720;
  self->fps_n = 30;
  self->fps_d = 1;
  self->converged_pts = GST_CLOCK_TIME_NONE;
  self->last_change = GST_CLOCK_TIME_NONE;
  self->poll = gst_poll_new (TRUE);
  gst_poll_fd_init (&self->x_fd);
  gst_base_src_set_live (GST_BASE_SRC (self), TRUE);
  gst_base_src_set_format (GST_BASE_SRC (self), GST_FORMAT_TIME);
}

gboolean
vsa_x11_src_register (void)
{
  static gsize registered = 0;

  if (g_once_init_enter (&registered))
    {
      gboolean ok = gst_element_register (NULL, "vsax11src", GST_RANK_NONE, VSA_TYPE_X11_SRC);

      g_once_init_leave (&registered, ok ? 1 : 2);
    }
  return registered == 1;
}

void
vsa_x11_src_request_frame (VsaX11Src *self)
{
  g_atomic_int_set (&self->frame_requested, TRUE);
}

void
vsa_x11_src_converged (VsaX11Src *self, GstClockTime t)
{
  GST_OBJECT_LOCK (self);
  if (GST_CLOCK_TIME_IS_VALID (t)
      && (!GST_CLOCK_TIME_IS_VALID (self->converged_pts) || t > self->converged_pts))
    self->converged_pts = t;
  GST_OBJECT_UNLOCK (self);
}
