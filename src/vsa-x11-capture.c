/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vsa-x11-capture.h"

#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <xcb/damage.h>
#include <xcb/shm.h>
#include <xcb/xcb.h>
#include <xcb/xfixes.h>

#include "vsa-x11-connection.h"

/* GStreamer's debug log, as vsax11src's: GST_DEBUG=vsax11capture:5 */
GST_DEBUG_CATEGORY_STATIC (vsa_x11_capture_debug);
#define GST_CAT_DEFAULT vsa_x11_capture_debug

/* Frames downstream may hold at once (queue, converter, one being filled) before we
 * capture into a plain GetImage reply instead. */
#define MAX_SEGMENTS 3

/* A SysV shared memory segment attached to the X server. The capture holds one
 * reference, each buffer wrapping it another: it is free again when only ours is left,
 * and outlives the connection while a buffer still uses it. */
typedef struct
{
  gint ref;
  guint8 *data;
  gsize size;
  xcb_shm_seg_t xid;
} Segment;

struct _VsaX11Capture
{
  VsaX11Connection x11;
  int width, height; /* the screen's, while open */
  gboolean have_shm, have_xfixes, have_damage;
  xcb_damage_damage_t damage;
  guint8 damage_notify, cursor_notify; /* their event types */
  gboolean change_seen;                /* drain_events saw a change not yet captured */
  gboolean cursor_seen;                /* and a new pointer image: a change if it is drawn */
  int pointer_x, pointer_y;            /* where the last capture drew it */
  Segment *segments[MAX_SEGMENTS];
  guint n_segments;
  GstBuffer *black;
};

static Segment *
vsa_x11_capture_segment_ref (Segment *seg)
{
  g_atomic_int_inc (&seg->ref);
  return seg;
}

static void
vsa_x11_capture_segment_unref (gpointer data)
{
  Segment *seg = data;

  if (!g_atomic_int_dec_and_test (&seg->ref))
    return;
  shmdt (seg->data);
  g_free (seg);
}

static Segment *
vsa_x11_capture_segment_new (xcb_connection_t *conn, gsize size)
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

VsaX11Capture *
vsa_x11_capture_new (gint64 retry_interval_us)
{
  static gsize debug_initialized = 0;
  VsaX11Capture *self = g_new0 (VsaX11Capture, 1);

  if (g_once_init_enter (&debug_initialized))
    {
      GST_DEBUG_CATEGORY_INIT (vsa_x11_capture_debug, "vsax11capture", 0,
                               "vsax11src's X side: connection, MIT-SHM, pointer, DAMAGE");
      g_once_init_leave (&debug_initialized, 1);
    }
  vsa_x11_connection_init (&self->x11, retry_interval_us);
  return self;
}

void
vsa_x11_capture_free (VsaX11Capture *self)
{
  vsa_x11_capture_close (self);
  gst_clear_buffer (&self->black);
  g_free (self);
}

gboolean
vsa_x11_capture_close (VsaX11Capture *self)
{
  for (guint i = 0; i < self->n_segments; i++)
    g_clear_pointer (&self->segments[i], vsa_x11_capture_segment_unref);
  self->n_segments = 0;
  vsa_x11_connection_close (&self->x11);
  vsa_x11_connection_hold_off (&self->x11);
  return vsa_x11_connection_mark_down (&self->x11);
}

/* The screen's root visual must be TrueColor, 24 or 32 bits deep in 32-bit little-endian
 * pixels with 8-bit channels: that is BGRx in memory. */
static gboolean
vsa_x11_capture_screen_is_bgrx (const xcb_setup_t *setup, const xcb_screen_t *screen)
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

gboolean
vsa_x11_capture_connect (VsaX11Capture *self, const char *display, GError **error)
{
  const xcb_query_extension_reply_t *ext;
  xcb_connection_t *conn;
  xcb_screen_t *screen;

  if (!vsa_x11_connection_open (&self->x11, display))
    {
      vsa_x11_connection_close (&self->x11);
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
                   "cannot connect to X display \"%s\"", display != NULL ? display : "$DISPLAY");
      return FALSE;
    }
  conn = self->x11.conn;
  screen = self->x11.screen;
  if (!vsa_x11_capture_screen_is_bgrx (xcb_get_setup (conn), screen))
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
                   "X display \"%s\" closed the connection",
                   display != NULL ? display : "$DISPLAY");
      return FALSE;
    }

  self->width = screen->width_in_pixels;
  self->height = screen->height_in_pixels;
  GST_INFO ("connected: %dx%d, MIT-SHM %s, XFixes %s, DAMAGE %s", self->width, self->height,
            self->have_shm ? "yes" : "no", self->have_xfixes ? "yes" : "no",
            self->have_damage ? "yes" : "no");
  vsa_x11_connection_mark_up (&self->x11);
  return TRUE;
}

gboolean
vsa_x11_capture_is_open (const VsaX11Capture *self)
{
  return self->x11.conn != NULL;
}

gboolean
vsa_x11_capture_may_connect (const VsaX11Capture *self)
{
  return vsa_x11_connection_may_try (&self->x11);
}

void
vsa_x11_capture_get_size (const VsaX11Capture *self, int *width, int *height)
{
  *width = self->width;
  *height = self->height;
}

gboolean
vsa_x11_capture_reports_changes (const VsaX11Capture *self)
{
  return self->x11.conn != NULL && self->have_damage;
}

int
vsa_x11_capture_get_fd (const VsaX11Capture *self)
{
  return xcb_get_file_descriptor (self->x11.conn);
}

/* Errors count as changes: the capture then finds them. */
gboolean
vsa_x11_capture_drain_events (VsaX11Capture *self)
{
  xcb_generic_event_t *event;
  gboolean changed = FALSE;

  while ((event = xcb_poll_for_event (self->x11.conn)) != NULL)
    {
      guint8 type = event->response_type & 0x7f;

      self->change_seen |= type == self->damage_notify;
      self->cursor_seen |= type == self->cursor_notify;
      changed |= type == self->damage_notify || type == self->cursor_notify;
      free (event);
    }
  self->change_seen |= xcb_connection_has_error (self->x11.conn) != 0;
  return changed || xcb_connection_has_error (self->x11.conn) != 0;
}

gboolean
vsa_x11_capture_changed (VsaX11Capture *self, gboolean show_pointer)
{
  xcb_query_pointer_reply_t *pointer = NULL;
  gboolean changed;

  show_pointer = show_pointer && self->have_xfixes;
  if (show_pointer)
    pointer = xcb_query_pointer_reply (
        self->x11.conn, xcb_query_pointer (self->x11.conn, self->x11.screen->root), NULL);
  vsa_x11_capture_drain_events (self);
  /* without the pointer in the picture (the page draws it) its image is no change */
  changed = self->change_seen || (show_pointer && self->cursor_seen);
  self->change_seen = self->cursor_seen = FALSE;
  if (show_pointer)
    changed |= pointer == NULL || pointer->root_x != self->pointer_x
               || pointer->root_y != self->pointer_y;
  free (pointer);
  return changed;
}

/* A free segment of the frame's size, a new one while there are fewer than
 * MAX_SEGMENTS, or NULL (then GetImage copies the frame into its reply). */
static Segment *
vsa_x11_capture_take_segment (VsaX11Capture *self, gsize size)
{
  Segment *seg;

  for (guint i = 0; i < self->n_segments; i++)
    if (g_atomic_int_get (&self->segments[i]->ref) == 1)
      return self->segments[i];
  if (self->n_segments == MAX_SEGMENTS)
    {
      GST_LOG ("all %d segments downstream: this frame by GetImage", MAX_SEGMENTS);
      return NULL;
    }
  seg = vsa_x11_capture_segment_new (self->x11.conn, size);
  if (seg == NULL)
    {
      GST_INFO ("cannot share memory with the X server: using GetImage");
      self->have_shm = FALSE;
      return NULL;
    }
  self->segments[self->n_segments++] = seg;
  GST_DEBUG ("%u shared memory segments", self->n_segments);
  return seg;
}

/* Draws the cursor image (premultiplied ARGB) over the frame. */
static void
vsa_x11_capture_blend_cursor (guint32 *frame, int width, int height,
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

GstBuffer *
vsa_x11_capture_grab (VsaX11Capture *self, gboolean show_pointer, GError **error)
{
  gsize size = (gsize) self->width * self->height * 4;
  Segment *seg = self->have_shm ? vsa_x11_capture_take_segment (self, size) : NULL;
  xcb_xfixes_get_cursor_image_cookie_t cursor_cookie = { 0 };
  xcb_xfixes_get_cursor_image_reply_t *cursor = NULL;
  xcb_shm_get_image_cookie_t shm_cookie = { 0 };
  xcb_get_image_cookie_t image_cookie = { 0 };
  xcb_generic_error_t *x_error = NULL;
  guint8 *data = NULL;
  void *reply;

  show_pointer = show_pointer && self->have_xfixes;
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
    reply = xcb_shm_get_image_reply (self->x11.conn, shm_cookie, &x_error);
  else
    reply = xcb_get_image_reply (self->x11.conn, image_cookie, &x_error);
  if (show_pointer)
    cursor = xcb_xfixes_get_cursor_image_reply (self->x11.conn, cursor_cookie, NULL);

  if (reply != NULL && seg != NULL)
    data = seg->data;
  else if (reply != NULL && xcb_get_image_data_length (reply) >= (int) size)
    data = xcb_get_image_data (reply);
  if (data == NULL)
    {
      /* Reconnecting also picks up a new screen size (RandR): the usual cause of an X
       * error here. */
      if (xcb_connection_has_error (self->x11.conn))
        g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
                     "lost the connection to the X server");
      else if (x_error != NULL)
        g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
                     "X error %u capturing the screen", x_error->error_code);
      else
        g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
                     "short image from the X server");
      free (x_error);
      free (reply);
      free (cursor);
      return NULL;
    }

  if (cursor != NULL)
    {
      vsa_x11_capture_blend_cursor ((guint32 *) data, self->width, self->height, cursor);
      self->pointer_x = cursor->x;
      self->pointer_y = cursor->y;
    }
  free (cursor);
  if (seg != NULL)
    {
      free (reply);
      return gst_buffer_new_wrapped_full (0, seg->data, seg->size, 0, size,
                                          vsa_x11_capture_segment_ref (seg),
                                          vsa_x11_capture_segment_unref);
    }
  return gst_buffer_new_wrapped_full (0, data, size, 0, size, reply, free);
}

GstBuffer *
vsa_x11_capture_black_frame (VsaX11Capture *self, int width, int height)
{
  gsize size = (gsize) width * height * 4;

  if (self->black == NULL || gst_buffer_get_size (self->black) != size)
    {
      gst_clear_buffer (&self->black);
      self->black = gst_buffer_new_allocate (NULL, size, NULL);
      gst_buffer_memset (self->black, 0, 0, size);
    }
  /* Shares the memory: whoever writes to it gets a copy. */
  return gst_buffer_copy (self->black);
}
