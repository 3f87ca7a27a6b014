/* SPDX-License-Identifier: LGPL-2.1-or-later */
#undef G_LOG_DOMAIN /* meson sets "vsa" for every file */
#define G_LOG_DOMAIN "vsa-cursor"

#include "vsa-cursor.h"

#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <xcb/xcb.h>
#include <xcb/xfixes.h>

#include "vsa-x11-connection.h"

#define RETRY_INTERVAL_S 2

struct _VsaCursor
{
  GObject parent_instance;

  char *display;
  VsaX11Connection x11;
  guint8 cursor_notify; /* its event type */
  GSource *source;      /* the connection's fd */
  guint retry_id;
  gboolean have_serial; /* serial is the last image's */
  guint32 serial;
  char *message;
};

enum
{
  SIGNAL_CHANGED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (VsaCursor, vsa_cursor, G_TYPE_OBJECT)

static gboolean vsa_cursor_connect (gpointer data);

/* --- PNG ---------------------------------------------------------------------------- */

static guint32
vsa_cursor_crc (guint32 crc, const guint8 *data, gsize length)
{
  crc = ~crc;
  for (gsize i = 0; i < length; i++)
    {
      crc ^= data[i];
      for (int k = 0; k < 8; k++)
        crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
    }
  return ~crc;
}

static void
vsa_cursor_png_chunk (GByteArray *png, const char *type, const guint8 *data, guint32 length)
{
  guint32 be = GUINT32_TO_BE (length);
  guint32 crc;

  g_byte_array_append (png, (const guint8 *) &be, 4);
  g_byte_array_append (png, (const guint8 *) type, 4);
  if (length > 0)
    g_byte_array_append (png, data, length);
  crc = vsa_cursor_crc (0, (const guint8 *) type, 4);
  crc = vsa_cursor_crc (crc, data, length);
  be = GUINT32_TO_BE (crc);
  g_byte_array_append (png, (const guint8 *) &be, 4);
}

/* zlib through GIO's compressor: no library of its own for a 64x64 image. */
static GBytes *
vsa_cursor_deflate (const guint8 *data, gsize length)
{
  g_autoptr (GZlibCompressor) zlib = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_ZLIB, 9);
  g_autoptr (GOutputStream) memory = g_memory_output_stream_new_resizable ();
  g_autoptr (GOutputStream) out = g_converter_output_stream_new (memory, G_CONVERTER (zlib));

  if (!g_output_stream_write_all (out, data, length, NULL, NULL, NULL)
      || !g_output_stream_close (out, NULL, NULL))
    return NULL;
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (memory));
}

GBytes *
vsa_cursor_encode_png (const guint32 *argb, guint width, guint height, guint stride)
{
  static const guint8 signature[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  g_autoptr (GByteArray) png = g_byte_array_new ();
  g_autofree guint8 *raw = g_malloc ((gsize) height * (1 + 4 * width));
  g_autoptr (GBytes) idat = NULL;
  guint8 ihdr[13] = { 0 };
  guint32 be;
  guint8 *p = raw;

  for (guint y = 0; y < height; y++)
    {
      *p++ = 0; /* no filter */
      for (guint x = 0; x < width; x++)
        {
          guint32 pixel = argb[y * stride + x];
          guint a = pixel >> 24;

          /* X's cursor images are premultiplied; PNG's alpha is straight */
          for (int shift = 16; shift >= 0; shift -= 8)
            *p++ = a == 0 ? 0 : MIN (255u, ((pixel >> shift) & 0xff) * 255 / a);
          *p++ = a;
        }
    }
  idat = vsa_cursor_deflate (raw, p - raw);
  if (idat == NULL)
    return NULL;
  be = GUINT32_TO_BE (width);
  memcpy (ihdr, &be, 4);
  be = GUINT32_TO_BE (height);
  memcpy (ihdr + 4, &be, 4);
  ihdr[8] = 8; /* bits per sample */
  ihdr[9] = 6; /* RGBA */
  g_byte_array_append (png, signature, sizeof signature);
  vsa_cursor_png_chunk (png, "IHDR", ihdr, sizeof ihdr);
  vsa_cursor_png_chunk (png, "IDAT", g_bytes_get_data (idat, NULL), g_bytes_get_size (idat));
  vsa_cursor_png_chunk (png, "IEND", NULL, 0);
  return g_byte_array_free_to_bytes (g_steal_pointer (&png));
}

/* --- the display ---------------------------------------------------------------------- */

/* An offset that keeps the hotspot inside a window of at most VSA_CURSOR_MAX_SIZE. */
static guint
vsa_cursor_crop_start (guint size, guint hot)
{
  if (size <= VSA_CURSOR_MAX_SIZE)
    return 0;
  return MIN (hot > VSA_CURSOR_MAX_SIZE / 2 ? hot - VSA_CURSOR_MAX_SIZE / 2 : 0,
              size - VSA_CURSOR_MAX_SIZE);
}

static char *
vsa_cursor_build_message (const xcb_xfixes_get_cursor_image_reply_t *image)
{
  const guint32 *pixels = xcb_xfixes_get_cursor_image_cursor_image (image);
  guint x0 = vsa_cursor_crop_start (image->width, image->xhot);
  guint y0 = vsa_cursor_crop_start (image->height, image->yhot);
  guint width = MIN (image->width, VSA_CURSOR_MAX_SIZE);
  guint height = MIN (image->height, VSA_CURSOR_MAX_SIZE);
  g_autoptr (GBytes) png = NULL;
  g_autofree char *base64 = NULL;
  g_autofree char *url = NULL;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  if (width == 0 || height == 0
      || xcb_xfixes_get_cursor_image_cursor_image_length (image) < image->width * image->height)
    return NULL;
  png = vsa_cursor_encode_png (pixels + y0 * image->width + x0, width, height, image->width);
  if (png == NULL)
    return NULL;
  base64 = g_base64_encode (g_bytes_get_data (png, NULL), g_bytes_get_size (png));
  url = g_strconcat ("data:image/png;base64,", base64, NULL);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "cursor");
  json_builder_set_member_name (builder, "serial");
  json_builder_add_int_value (builder, image->cursor_serial);
  json_builder_set_member_name (builder, "width");
  json_builder_add_int_value (builder, width);
  json_builder_set_member_name (builder, "height");
  json_builder_add_int_value (builder, height);
  json_builder_set_member_name (builder, "xhot");
  json_builder_add_int_value (builder, MIN (image->xhot - x0, width - 1));
  json_builder_set_member_name (builder, "yhot");
  json_builder_add_int_value (builder, MIN (image->yhot - y0, height - 1));
  json_builder_set_member_name (builder, "url");
  json_builder_add_string_value (builder, url);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

/* One round trip; the image is reported once per serial. */
static void
vsa_cursor_read_image (VsaCursor *self)
{
  g_autofree xcb_generic_error_t *error = NULL;
  g_autofree xcb_xfixes_get_cursor_image_reply_t *image = xcb_xfixes_get_cursor_image_reply (
      self->x11.conn, xcb_xfixes_get_cursor_image (self->x11.conn), &error);
  char *message;

  /* The server refuses (BadAccess) the image of a cursor its client already freed, as
   * xsetroot does: the page keeps the last one. */
  if (error != NULL)
    g_debug ("no cursor image: X error %u", error->error_code);
  if (image == NULL || (self->have_serial && image->cursor_serial == self->serial))
    return;
  self->have_serial = TRUE;
  self->serial = image->cursor_serial;
  message = vsa_cursor_build_message (image);
  if (message == NULL)
    return;
  g_free (self->message);
  self->message = message;
  g_debug ("cursor %u: %ux%u, hotspot %u,%u", image->cursor_serial, image->width, image->height,
           image->xhot, image->yhot);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0, self->message);
}

static void
vsa_cursor_disconnect (VsaCursor *self)
{
  if (self->source != NULL)
    {
      g_source_destroy (self->source);
      g_clear_pointer (&self->source, g_source_unref);
    }
  vsa_x11_connection_close (&self->x11);
}

/* Closed; tried again later. The first failure of an outage is logged. */
static void
vsa_cursor_lost (VsaCursor *self, const char *why)
{
  if (vsa_x11_connection_mark_down (&self->x11))
    g_message ("X display \"%s\" %s: no pointer image until it is back",
               vsa_x11_connection_label (self->display), why);
  vsa_cursor_disconnect (self);
  /* a new server numbers its cursors anew */
  self->have_serial = FALSE;
  if (self->retry_id == 0)
    self->retry_id = g_timeout_add_seconds (RETRY_INTERVAL_S, vsa_cursor_connect, self);
}

/* Reads the image after each change notice. Again after a reply: xcb queues the events
 * that came while it waited for it, and the fd then says nothing of them. */
static void
vsa_cursor_drain (VsaCursor *self)
{
  gboolean changed;

  do
    {
      xcb_generic_event_t *event;

      changed = FALSE;
      while ((event = xcb_poll_for_event (self->x11.conn)) != NULL)
        {
          changed |= (event->response_type & 0x7f) == self->cursor_notify;
          free (event);
        }
      if (changed && !xcb_connection_has_error (self->x11.conn))
        vsa_cursor_read_image (self);
    }
  while (changed);
}

static gboolean
vsa_cursor_on_readable (int fd, GIOCondition condition, gpointer data)
{
  VsaCursor *self = data;

  vsa_cursor_drain (self);
  if (xcb_connection_has_error (self->x11.conn))
    {
      g_clear_pointer (&self->source, g_source_unref); /* removed by returning so */
      vsa_cursor_lost (self, "went away");
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
vsa_cursor_connect (gpointer data)
{
  VsaCursor *self = data;
  const xcb_query_extension_reply_t *xfixes;
  g_autofree xcb_xfixes_query_version_reply_t *version = NULL;

  self->retry_id = 0;
  if (!vsa_x11_connection_open (&self->x11, self->display))
    {
      vsa_cursor_lost (self, "cannot be opened");
      return G_SOURCE_REMOVE;
    }
  xfixes = vsa_x11_connection_extension (&self->x11, &xcb_xfixes_id);
  if (xfixes != NULL)
    version = xcb_xfixes_query_version_reply (
        self->x11.conn, xcb_xfixes_query_version (self->x11.conn, 4, 0), NULL);
  if (version == NULL || version->major_version < 1)
    {
      /* it will not grow XFixes: no retries */
      g_warning ("X display \"%s\" has no XFIXES: the page gets no pointer image",
                 vsa_x11_connection_label (self->display));
      vsa_cursor_disconnect (self);
      return G_SOURCE_REMOVE;
    }
  self->cursor_notify = xfixes->first_event + XCB_XFIXES_CURSOR_NOTIFY;
  xcb_xfixes_select_cursor_input (self->x11.conn, self->x11.screen->root,
                                  XCB_XFIXES_CURSOR_NOTIFY_MASK_DISPLAY_CURSOR);
  vsa_x11_connection_mark_up (&self->x11);
  self->source = g_unix_fd_source_new (xcb_get_file_descriptor (self->x11.conn),
                                       G_IO_IN | G_IO_HUP | G_IO_ERR);
  g_source_set_callback (self->source, G_SOURCE_FUNC (vsa_cursor_on_readable), self, NULL);
  g_source_attach (self->source, g_main_context_get_thread_default ());
  vsa_cursor_read_image (self);
  vsa_cursor_drain (self);
  return G_SOURCE_REMOVE;
}

static void
vsa_cursor_dispose (GObject *object)
{
  VsaCursor *self = VSA_CURSOR (object);

  g_clear_handle_id (&self->retry_id, g_source_remove);
  vsa_cursor_disconnect (self);
  G_OBJECT_CLASS (vsa_cursor_parent_class)->dispose (object);
}

static void
vsa_cursor_finalize (GObject *object)
{
  VsaCursor *self = VSA_CURSOR (object);

  g_free (self->display);
  g_free (self->message);
  G_OBJECT_CLASS (vsa_cursor_parent_class)->finalize (object);
}

static void
vsa_cursor_class_init (VsaCursorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = vsa_cursor_dispose;
  object_class->finalize = vsa_cursor_finalize;
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
vsa_cursor_init (VsaCursor *self)
{
  vsa_x11_connection_init (&self->x11, 0);
}

VsaCursor *
vsa_cursor_new (const char *display)
{
  VsaCursor *self = g_object_new (VSA_TYPE_CURSOR, NULL);

  self->display = g_strdup (display);
  vsa_cursor_connect (self);
  return self;
}

const char *
vsa_cursor_get_message (VsaCursor *self)
{
  return self->message;
}
