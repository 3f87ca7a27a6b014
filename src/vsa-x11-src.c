/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vsa-x11-src.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <xcb/damage.h>
#include <xcb/shm.h>
#include <xcb/xcb.h>
#include <xcb/xfixes.h>

#include "vsa-x11-connection.h"

GST_DEBUG_CATEGORY_STATIC (vsa_x11_src_debug);
#define GST_CAT_DEFAULT vsa_x11_src_debug

#define RETRY_INTERVAL_US (2 * G_USEC_PER_SEC)
/* With skip-unchanged, a still screen is sent again this often: a receiver that mutes a
 * track without packets (Firefox) keeps it, and a lost frame is repaired at least then. */
#define REPEAT_INTERVAL GST_SECOND
/* Frames downstream may hold at once (queue, converter, one being filled) before we
 * capture into a plain GetImage reply instead. */
#define MAX_SEGMENTS 3

/* A SysV shared memory segment attached to the X server. The element holds one
 * reference, each buffer wrapping it another: it is free again when only ours is left,
 * and outlives the connection while a buffer still uses it. */
typedef struct
{
  gint ref;
  guint8 *data;
  gsize size;
  xcb_shm_seg_t xid;
} Segment;

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
  VsaX11Connection x11;
  gboolean have_shm, have_xfixes, have_damage;
  xcb_damage_damage_t damage;
  guint8 damage_notify, cursor_notify; /* their event types */
  GstPollFD x_fd;                      /* the connection's, in poll; fd -1 when not */
  gboolean change_seen;                /* an X event showed a change not yet captured */
  int pointer_x, pointer_y;
  Segment *segments[MAX_SEGMENTS];
  guint n_segments;
  int caps_width, caps_height, fps_n, fps_d;
  guint64 last_frame;
  gboolean have_last_frame;
  GstClockTime last_push;   /* NONE: push the next frame whatever */
  gint frame_requested;     /* atomic: vsa_x11_src_request_frame() */
  GstClockTime last_change; /* the last frame that showed a change; NONE: none yet */
  guint refresh_left;       /* refresh frames still allowed after it */
  GstBuffer *black;
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

static Segment *
vsa_x11_src_segment_ref (Segment *seg)
{
  g_atomic_int_inc (&seg->ref);
  return seg;
}

static void
vsa_x11_src_segment_unref (gpointer data)
{
  Segment *seg = data;

  if (!g_atomic_int_dec_and_test (&seg->ref))
    return;
  shmdt (seg->data);
  g_free (seg);
}

static Segment *
vsa_x11_src_segment_new (xcb_connection_t *conn, gsize size)
{
  int id = shmget (IPC_PRIVATE, size, IPC_CREAT | 0600);
  xcb_shm_seg_t xid;
  xcb_generic_error_t *error;
  Segment *seg;
  void *data;

  if (id < 0)
    return NULL;
  data = shmat (id, NULL, 0);
  if (data == (void *) -1)
    {
      shmctl (id, IPC_RMID, NULL);
      return NULL;
    }
  xid = xcb_generate_id (conn);
  /* Fails on a remote display: the server cannot see our memory. */
  error = xcb_request_check (conn, xcb_shm_attach_checked (conn, xid, id, FALSE));
  /* Once attached on both sides it may be marked: the kernel frees it after both detach,
   * even if we crash. */
  shmctl (id, IPC_RMID, NULL);
  if (error != NULL || xcb_connection_has_error (conn))
    {
      free (error);
      shmdt (data);
      return NULL;
    }
  seg = g_new0 (Segment, 1);
  seg->ref = 1;
  seg->data = data;
  seg->size = size;
  seg->xid = xid;
  return seg;
}

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

/* Drops the connection (if any); the next attempt is in 2 s. reason is posted when this
 * is a transition, i.e. once per outage. */
static void
vsa_x11_src_x11_disconnect (VsaX11Src *self, const char *reason)
{
  for (guint i = 0; i < self->n_segments; i++)
    g_clear_pointer (&self->segments[i], vsa_x11_src_segment_unref);
  self->n_segments = 0;
  if (self->x_fd.fd >= 0)
    gst_poll_remove_fd (self->poll, &self->x_fd);
  gst_poll_fd_init (&self->x_fd);
  vsa_x11_connection_close (&self->x11);
  vsa_x11_connection_hold_off (&self->x11);
  if (reason == NULL || !vsa_x11_connection_mark_down (&self->x11))
    return;
  GST_WARNING_OBJECT (self, "%s; retrying every 2 s", reason);
  vsa_x11_src_post_status (self, FALSE, reason);
}

/* The screen's root visual must be TrueColor, 24 or 32 bits deep in 32-bit little-endian
 * pixels with 8-bit channels: that is BGRx in memory. */
static gboolean
vsa_x11_src_screen_is_bgrx (const xcb_setup_t *setup, const xcb_screen_t *screen)
{
  gboolean pixels_are_32bit = FALSE;

  if (setup->image_byte_order != XCB_IMAGE_ORDER_LSB_FIRST
      || (screen->root_depth != 24 && screen->root_depth != 32))
    return FALSE;
  for (xcb_format_iterator_t f = xcb_setup_pixmap_formats_iterator (setup); f.rem;
       xcb_format_next (&f))
    if (f.data->depth == screen->root_depth)
      pixels_are_32bit = f.data->bits_per_pixel == 32;
  if (!pixels_are_32bit)
    return FALSE;
  for (xcb_depth_iterator_t d = xcb_screen_allowed_depths_iterator (screen); d.rem;
       xcb_depth_next (&d))
    for (xcb_visualtype_iterator_t v = xcb_depth_visuals_iterator (d.data); v.rem;
         xcb_visualtype_next (&v))
      if (v.data->visual_id == screen->root_visual)
        return v.data->_class == XCB_VISUAL_CLASS_TRUE_COLOR && v.data->red_mask == 0xff0000
               && v.data->green_mask == 0xff00 && v.data->blue_mask == 0xff;
  return FALSE;
}

/* GST_RESOURCE_ERROR_OPEN_READ: no display (retry later); GST_RESOURCE_ERROR_SETTINGS: a
 * display we cannot capture (fatal). Closed again on failure. */
static gboolean
vsa_x11_src_x11_connect (VsaX11Src *self, GError **error)
{
  g_autofree char *name = NULL;
  const xcb_query_extension_reply_t *ext;
  xcb_connection_t *conn;
  xcb_screen_t *screen;

  GST_OBJECT_LOCK (self);
  name = g_strdup (self->display_name);
  GST_OBJECT_UNLOCK (self);
  if (!vsa_x11_connection_open (&self->x11, name))
    {
      vsa_x11_connection_close (&self->x11);
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
                   "cannot connect to X display \"%s\"", name != NULL ? name : "$DISPLAY");
      return FALSE;
    }
  conn = self->x11.conn;
  screen = self->x11.screen;
  if (!vsa_x11_src_screen_is_bgrx (xcb_get_setup (conn), screen))
    {
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                   "X screen %d is not 24/32-bit TrueColor little-endian (depth %u); "
                   "only BGRx screens are supported",
                   self->x11.screen_number, screen->root_depth);
      vsa_x11_connection_close (&self->x11);
      return FALSE;
    }

  xcb_prefetch_extension_data (conn, &xcb_shm_id);
  xcb_prefetch_extension_data (conn, &xcb_xfixes_id);
  xcb_prefetch_extension_data (conn, &xcb_damage_id);
  self->have_shm = vsa_x11_connection_extension (&self->x11, &xcb_shm_id) != NULL;
  ext = vsa_x11_connection_extension (&self->x11, &xcb_xfixes_id);
  self->have_xfixes = FALSE;
  if (ext != NULL)
    {
      /* XFixes answers nothing before the client said which version it speaks. */
      xcb_xfixes_query_version_reply_t *version
          = xcb_xfixes_query_version_reply (conn, xcb_xfixes_query_version (conn, 4, 0), NULL);

      self->have_xfixes = version != NULL && version->major_version >= 1;
      free (version);
      self->cursor_notify = ext->first_event + XCB_XFIXES_CURSOR_NOTIFY;
    }
  ext = vsa_x11_connection_extension (&self->x11, &xcb_damage_id);
  self->have_damage = FALSE;
  if (ext != NULL && self->have_xfixes)
    {
      xcb_damage_query_version_reply_t *version
          = xcb_damage_query_version_reply (conn, xcb_damage_query_version (conn, 1, 1), NULL);

      self->have_damage = version != NULL;
      free (version);
      self->damage_notify = ext->first_event + XCB_DAMAGE_NOTIFY;
    }
  if (self->have_damage)
    {
      /* One event each time the screen goes from unchanged to changed (we subtract the
       * damage at each capture), and one per new pointer image. */
      self->damage = xcb_generate_id (conn);
      xcb_damage_create (conn, self->damage, screen->root, XCB_DAMAGE_REPORT_LEVEL_NON_EMPTY);
      xcb_xfixes_select_cursor_input (conn, screen->root,
                                      XCB_XFIXES_CURSOR_NOTIFY_MASK_DISPLAY_CURSOR);
    }
  if (xcb_connection_has_error (conn))
    {
      vsa_x11_connection_close (&self->x11);
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
                   "X display \"%s\" closed the connection", name != NULL ? name : "$DISPLAY");
      return FALSE;
    }

  GST_OBJECT_LOCK (self);
  self->width = screen->width_in_pixels;
  self->height = screen->height_in_pixels;
  GST_OBJECT_UNLOCK (self);
  self->last_push = GST_CLOCK_TIME_NONE;
  GST_INFO_OBJECT (self, "connected: %dx%d, MIT-SHM %s, XFixes %s, DAMAGE %s", self->width,
                   self->height, self->have_shm ? "yes" : "no", self->have_xfixes ? "yes" : "no",
                   self->have_damage ? "yes" : "no");
  vsa_x11_connection_mark_up (&self->x11);
  vsa_x11_src_post_status (self, TRUE, NULL);
  return TRUE;
}

/* A free segment of the frame's size, a new one while there are fewer than
 * MAX_SEGMENTS, or NULL (then GetImage copies the frame into its reply). */
static Segment *
vsa_x11_src_take_segment (VsaX11Src *self, gsize size)
{
  Segment *seg;

  for (guint i = 0; i < self->n_segments; i++)
    if (g_atomic_int_get (&self->segments[i]->ref) == 1)
      return self->segments[i];
  if (self->n_segments == MAX_SEGMENTS)
    {
      GST_LOG_OBJECT (self, "all %d segments downstream: this frame by GetImage", MAX_SEGMENTS);
      return NULL;
    }
  seg = vsa_x11_src_segment_new (self->x11.conn, size);
  if (seg == NULL)
    {
      GST_INFO_OBJECT (self, "cannot share memory with the X server: using GetImage");
      self->have_shm = FALSE;
      return NULL;
    }
  self->segments[self->n_segments++] = seg;
  GST_DEBUG_OBJECT (self, "%u shared memory segments", self->n_segments);
  return seg;
}

/* Draws the cursor image (premultiplied ARGB) over the frame. */
static void
vsa_x11_src_blend_cursor (guint32 *frame, int width, int height,
                          const xcb_xfixes_get_cursor_image_reply_t *cursor)
{
  const guint32 *pixels = xcb_xfixes_get_cursor_image_cursor_image (cursor);
  int x0 = cursor->x - cursor->xhot;
  int y0 = cursor->y - cursor->yhot;

  if (xcb_xfixes_get_cursor_image_cursor_image_length (cursor) < cursor->width * cursor->height)
    return;
  for (int cy = MAX (0, -y0); cy < cursor->height && y0 + cy < height; cy++)
    for (int cx = MAX (0, -x0); cx < cursor->width && x0 + cx < width; cx++)
      {
        guint32 s = pixels[cy * cursor->width + cx];
        guint32 a = s >> 24;
        guint32 *d = &frame[(gsize) (y0 + cy) * width + x0 + cx];
        guint32 out = 0;

        if (a == 0)
          continue;
        for (int shift = 0; shift < 24; shift += 8)
          {
            guint32 c = ((s >> shift) & 0xff) + (((*d >> shift) & 0xff) * (255 - a) + 127) / 255;

            out |= MIN (c, 255u) << shift;
          }
        *d = out;
      }
}

/* One frame of the screen with the pointer, or NULL when the capture failed (the
 * connection is then dropped). The pointer and image requests go out together: one
 * round trip. */
static GstBuffer *
vsa_x11_src_capture (VsaX11Src *self)
{
  gsize size = (gsize) self->width * self->height * 4;
  Segment *seg = self->have_shm ? vsa_x11_src_take_segment (self, size) : NULL;
  xcb_xfixes_get_cursor_image_cookie_t cursor_cookie = { 0 };
  xcb_xfixes_get_cursor_image_reply_t *cursor = NULL;
  xcb_shm_get_image_cookie_t shm_cookie = { 0 };
  xcb_get_image_cookie_t image_cookie = { 0 };
  xcb_generic_error_t *error = NULL;
  g_autofree char *reason = NULL;
  GstBuffer *buffer = NULL;
  gboolean show_pointer;
  guint8 *data = NULL;
  void *reply;

  GST_OBJECT_LOCK (self);
  show_pointer = self->show_pointer && self->have_xfixes;
  GST_OBJECT_UNLOCK (self);
  /* Before the image: a change from here on is seen again at the next frame. */
  if (self->have_damage)
    xcb_damage_subtract (self->x11.conn, self->damage, XCB_NONE, XCB_NONE);
  if (show_pointer)
    cursor_cookie = xcb_xfixes_get_cursor_image (self->x11.conn);
  if (seg != NULL)
    shm_cookie = xcb_shm_get_image (self->x11.conn, self->x11.screen->root, 0, 0, self->width,
                                    self->height, ~0u, XCB_IMAGE_FORMAT_Z_PIXMAP, seg->xid, 0);
  else
    image_cookie = xcb_get_image (self->x11.conn, XCB_IMAGE_FORMAT_Z_PIXMAP, self->x11.screen->root,
                                  0, 0, self->width, self->height, ~0u);
  if (seg != NULL)
    reply = xcb_shm_get_image_reply (self->x11.conn, shm_cookie, &error);
  else
    reply = xcb_get_image_reply (self->x11.conn, image_cookie, &error);
  if (show_pointer)
    cursor = xcb_xfixes_get_cursor_image_reply (self->x11.conn, cursor_cookie, NULL);

  if (reply != NULL && seg != NULL)
    data = seg->data;
  else if (reply != NULL && xcb_get_image_data_length (reply) >= (int) size)
    data = xcb_get_image_data (reply);
  if (data == NULL)
    {
      if (xcb_connection_has_error (self->x11.conn))
        reason = g_strdup ("lost the connection to the X server");
      else if (error != NULL)
        reason = g_strdup_printf ("X error %u capturing the screen", error->error_code);
      else
        reason = g_strdup ("short image from the X server");
      free (error);
      free (reply);
      free (cursor);
      /* Reconnecting also picks up a new screen size (RandR): the usual cause of an X
       * error here. */
      vsa_x11_src_x11_disconnect (self, reason);
      return NULL;
    }

  if (cursor != NULL)
    {
      vsa_x11_src_blend_cursor ((guint32 *) data, self->width, self->height, cursor);
      self->pointer_x = cursor->x;
      self->pointer_y = cursor->y;
    }
  free (cursor);
  if (seg != NULL)
    {
      free (reply);
      buffer
          = gst_buffer_new_wrapped_full (0, seg->data, seg->size, 0, size,
                                         vsa_x11_src_segment_ref (seg), vsa_x11_src_segment_unref);
    }
  else
    buffer = gst_buffer_new_wrapped_full (0, data, size, 0, size, reply, free);
  return buffer;
}

static GstBuffer *
vsa_x11_src_black_frame (VsaX11Src *self)
{
  gsize size = (gsize) self->caps_width * self->caps_height * 4;

  if (self->black == NULL || gst_buffer_get_size (self->black) != size)
    {
      gst_clear_buffer (&self->black);
      self->black = gst_buffer_new_allocate (NULL, size, NULL);
      gst_buffer_memset (self->black, 0, 0, size);
    }
  /* Shares the memory: whoever writes to it gets a copy. */
  return gst_buffer_copy (self->black);
}

/* Waits for the next frame slot on the pipeline clock and gives its running time. */
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

/* Reads the X events that arrived; whether one showed a change (damage, a new pointer
 * image). Errors count as changes: the capture then finds them. */
static gboolean
vsa_x11_src_drain_events (VsaX11Src *self)
{
  xcb_generic_event_t *event;
  gboolean changed = FALSE;

  while ((event = xcb_poll_for_event (self->x11.conn)) != NULL)
    {
      guint8 type = event->response_type & 0x7f;

      changed |= type == self->damage_notify || type == self->cursor_notify;
      free (event);
    }
  return changed || xcb_connection_has_error (self->x11.conn);
}

static gboolean
vsa_x11_src_waits_for_damage (VsaX11Src *self)
{
  gboolean skip_unchanged;

  GST_OBJECT_LOCK (self);
  skip_unchanged = self->skip_unchanged;
  GST_OBJECT_UNLOCK (self);
  return skip_unchanged && self->x11.conn != NULL && self->have_damage
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
      self->x_fd.fd = xcb_get_file_descriptor (self->x11.conn);
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
      if (vsa_x11_src_drain_events (self))
        {
          self->change_seen = TRUE;
          *pts = now;
          return GST_FLOW_OK;
        }
      if (gst_poll_wait (self->poll, slot - now) < 0 && errno == EBUSY)
        return GST_FLOW_FLUSHING;
    }
}

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

/* Whether anything on the screen or the pointer changed since the last capture. Errors
 * count as changes: the capture then finds them. */
static gboolean
vsa_x11_src_screen_changed (VsaX11Src *self, gboolean show_pointer)
{
  xcb_query_pointer_reply_t *pointer = NULL;
  gboolean changed;

  if (show_pointer)
    pointer = xcb_query_pointer_reply (
        self->x11.conn, xcb_query_pointer (self->x11.conn, self->x11.screen->root), NULL);
  changed = vsa_x11_src_drain_events (self) || self->change_seen;
  self->change_seen = FALSE;
  if (show_pointer)
    changed |= pointer == NULL || pointer->root_x != self->pointer_x
               || pointer->root_y != self->pointer_y;
  free (pointer);
  return changed;
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
  show_pointer = self->show_pointer && self->have_xfixes;
  GST_OBJECT_UNLOCK (self);
  if (!skip_unchanged || self->x11.conn == NULL || !self->have_damage)
    return FRAME_REPEAT;
  /* Always asked, so the event queue is drained. */
  if (vsa_x11_src_screen_changed (self, show_pointer)
      || g_atomic_int_exchange (&self->frame_requested, FALSE)
      || self->last_push == GST_CLOCK_TIME_NONE || !GST_CLOCK_TIME_IS_VALID (pts))
    return FRAME_CHANGED;
  if (self->refresh_left > 0 && !vsa_x11_src_change_converged (self))
    return FRAME_REFRESH;
  return pts >= self->last_push + REPEAT_INTERVAL ? FRAME_REPEAT : FRAME_SKIPPED;
}

static GstFlowReturn
vsa_x11_src_create (GstPushSrc *src, GstBuffer **out)
{
  VsaX11Src *self = VSA_X11_SRC (src);
  GstBuffer *buffer = NULL;
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
  if (self->x11.conn == NULL && vsa_x11_connection_may_try (&self->x11))
    {
      g_autoptr (GError) error = NULL;

      if (!vsa_x11_src_x11_connect (self, &error))
        {
          if (g_error_matches (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS))
            {
              GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", error->message), (NULL));
              return GST_FLOW_ERROR;
            }
          vsa_x11_src_x11_disconnect (self, error->message);
        }
    }
  /* Back with another screen size: new caps before frames of that size. */
  if (self->x11.conn != NULL
      && (self->width != self->caps_width || self->height != self->caps_height)
      && !gst_base_src_negotiate (GST_BASE_SRC (self)))
    return GST_FLOW_NOT_NEGOTIATED;
  if (self->x11.conn != NULL)
    buffer = vsa_x11_src_capture (self);
  if (buffer == NULL)
    buffer = vsa_x11_src_black_frame (self);
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
  g_autoptr (GError) error = NULL;

  self->have_last_frame = FALSE;
  self->last_push = GST_CLOCK_TIME_NONE;
  self->last_change = GST_CLOCK_TIME_NONE;
  self->refresh_left = 0;
  GST_OBJECT_LOCK (self);
  self->converged_pts = GST_CLOCK_TIME_NONE;
  GST_OBJECT_UNLOCK (self);
  vsa_x11_connection_init (&self->x11, RETRY_INTERVAL_US);
  if (vsa_x11_src_x11_connect (self, &error))
    return TRUE;
  if (g_error_matches (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS))
    {
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", error->message), (NULL));
      return FALSE;
    }
  /* No display yet: start anyway with black frames (the size get_caps offers). */
  vsa_x11_src_x11_disconnect (self, error->message);
  return TRUE;
}

static gboolean
vsa_x11_src_stop (GstBaseSrc *src)
{
  VsaX11Src *self = VSA_X11_SRC (src);

  vsa_x11_src_x11_disconnect (self, NULL);
  gst_clear_buffer (&self->black);
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
