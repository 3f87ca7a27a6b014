/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The quality bench's screen: see vsa-bench-scenes.h. */

#include "vsa-bench-scenes.h"

#include <cairo.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <stdlib.h>
#include <string.h>
#include <xcb/xcb.h>

#define FONT "DejaVu Sans 10" /* 13 px at 96 dpi, a desktop's UI text */
#define MARGIN 32             /* around a window or dialog: its edges and what they cover */
#define DETAIL_WIDTH 320
#define DETAIL_HEIGHT 180

/* The scroll: 8 pixels a 60 Hz tick for 1.5 s, a brisk scroll through a page */
#define SCROLL_STEP 8
#define SCROLL_TICK_US 16667
#define SCROLL_DISTANCE 720 /* 90 ticks: VSA_BENCH_SCROLL_MS */

/* The browser window of the scroll scene: its page is shown in the viewport. */
#define VIEWPORT_X 40
#define VIEWPORT_Y 96
#define VIEWPORT_WIDTH 1200
#define VIEWPORT_HEIGHT 560

#define TEXT_COLOR 0x202020
#define ERROR_COLOR 0xc0392b
#define LINK_COLOR 0x1a4fc4

static const char *const words[] = {
  "account", "access", "address",  "before",  "browser", "change",  "check",    "contact",
  "create",  "data",   "default",  "details", "device",  "email",   "enter",    "files",
  "first",   "folder", "follow",   "group",   "help",    "history", "home",     "image",
  "include", "keep",   "language", "later",   "limit",   "list",    "login",    "message",
  "network", "number", "office",   "open",    "option",  "order",   "page",     "password",
  "people",  "please", "policy",   "private", "profile", "remote",  "report",   "request",
  "review",  "screen", "search",   "secure",  "server",  "session", "settings", "share",
  "show",    "sign",   "start",    "status",  "support", "system",  "terms",    "update",
  "user",    "verify", "view",     "window",  "with",    "your",
};

struct _VsaBenchScenes
{
  xcb_connection_t *connection;
  xcb_screen_t *screen;
  xcb_gcontext_t gc;
  guint width, height;

  xcb_pixmap_t picture; /* what a change copies from: drawn by prepare */
  VsaBenchImage *page;  /* the scroll scene's page, also in picture */
  guint scroll_offset;
  gint64 scroll_start_us, scroll_end_us;
  guint scroll_source;
};

const char *
vsa_bench_scene_name (VsaBenchSceneKind kind)
{
  static const char *const names[] = { "window", "scroll", "dialog" };

  return names[kind];
}

static void
set_color (cairo_t *cr, guint32 rgb)
{
  cairo_set_source_rgb (cr, (rgb >> 16) / 255.0, ((rgb >> 8) & 0xff) / 255.0, (rgb & 0xff) / 255.0);
}

static void
fill_rect (cairo_t *cr, guint32 rgb, double x, double y, double width, double height)
{
  set_color (cr, rgb);
  cairo_rectangle (cr, x, y, width, height);
  cairo_fill (cr);
}

/* Text at (x, y) in font (NULL: FONT), wrapped at width pixels when width > 0; returns
 * its height. */
static int
draw_text (cairo_t *cr, const char *font, guint32 rgb, double x, double y, int width,
           const char *markup)
{
  PangoLayout *layout = pango_cairo_create_layout (cr);
  PangoFontDescription *description = pango_font_description_from_string (font ? font : FONT);
  int text_width, text_height;

  pango_layout_set_font_description (layout, description);
  if (width > 0)
    pango_layout_set_width (layout, width * PANGO_SCALE);
  pango_layout_set_markup (layout, markup, -1);
  set_color (cr, rgb);
  cairo_move_to (cr, x, y);
  pango_cairo_show_layout (cr, layout);
  pango_layout_get_pixel_size (layout, &text_width, &text_height);
  pango_font_description_free (description);
  g_object_unref (layout);
  return text_height;
}

/* n words of running text, now and then a link (blue) word. */
static char *
sentence (GRand *rand, guint n)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    {
      const char *word = words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))];

      if (i > 0)
        g_string_append_c (text, ' ');
      if (g_rand_int_range (rand, 0, 14) == 0)
        g_string_append_printf (text, "<span foreground='#%06x' underline='single'>%s</span>",
                                LINK_COLOR, word);
      else if (i == 0)
        g_string_append_printf (text, "%c%s", g_ascii_toupper (word[0]), word + 1);
      else
        g_string_append (text, word);
    }
  g_string_append_c (text, '.');
  return g_string_free (text, FALSE);
}

/* A window frame: title bar with its title, a white body. */
static void
draw_window (cairo_t *cr, double x, double y, double width, double height, const char *title)
{
  fill_rect (cr, 0x1e1e1e, x + 4, y + 6, width, height); /* a hard shadow */
  fill_rect (cr, 0xdedede, x, y, width, 30);
  fill_rect (cr, 0xffffff, x, y + 30, width, height - 30);
  draw_text (cr, "DejaVu Sans Bold 10", 0x303030, x + 12, y + 7, 0, title);
  fill_rect (cr, 0xc8c8c8, x + width - 28, y + 7, 16, 16);
}

static void
draw_field (cairo_t *cr, double x, double y, const char *label, const char *value)
{
  draw_text (cr, NULL, TEXT_COLOR, x, y, 0, label);
  set_color (cr, 0x8a8a8a);
  cairo_set_line_width (cr, 1);
  cairo_rectangle (cr, x + 0.5, y + 20.5, 320, 28);
  cairo_stroke (cr);
  draw_text (cr, NULL, TEXT_COLOR, x + 8, y + 26, 0, value);
}

/* The window scene's window at (x, y): a sign-in form, its error, links and a paragraph. */
static void
draw_sign_in (cairo_t *cr, GRand *rand, int x, int y, int width, int height)
{
  double left = x + 24, top = y + 46;

  draw_window (cr, x, y, width, height, "Sign in — Remote desktop");
  draw_text (cr, "DejaVu Sans Bold 14", TEXT_COLOR, left, top, 0, "Sign in to your account");
  draw_field (cr, left, top + 36, "Email address", "alice.martin@example.com");
  draw_field (cr, left, top + 96, "Password", "••••••••••••");
  draw_text (cr, NULL, ERROR_COLOR, left, top + 154, 0,
             "The password you entered is incorrect. Please try again.");
  draw_text (cr, NULL, LINK_COLOR, left, top + 176, 0,
             "<u>Forgot your password?</u>    <u>Create an account</u>");
  fill_rect (cr, 0x2f6fd0, left + 460, top + 116, 120, 32);
  draw_text (cr, "DejaVu Sans Bold 10", 0xffffff, left + 497, top + 124, 0, "Sign in");
  for (double line = top + 206; line < y + height - 24;)
    {
      g_autofree char *text = sentence (rand, g_rand_int_range (rand, 6, 14));

      line += draw_text (cr, NULL, TEXT_COLOR, left, line, width - 48, text) + 2;
    }
}

/* The dialog scene's dialog at (x, y). */
static void
draw_dialog (cairo_t *cr, GRand *rand, int x, int y, int width, int height)
{
  g_autofree char *detail = sentence (rand, 16);

  draw_window (cr, x, y, width, height, "Delete files?");
  set_color (cr, 0xe6a700);
  cairo_move_to (cr, x + 44, y + 52);
  cairo_line_to (cr, x + 68, y + 94);
  cairo_line_to (cr, x + 20, y + 94);
  cairo_close_path (cr);
  cairo_fill (cr);
  draw_text (cr, "DejaVu Sans Bold 11", TEXT_COLOR, x + 88, y + 50, 0,
             "Delete 3 files permanently?");
  draw_text (cr, NULL, TEXT_COLOR, x + 88, y + 76, width - 110, detail);
  draw_text (cr, NULL, ERROR_COLOR, x + 88, y + 136, 0, "This cannot be undone.");
  fill_rect (cr, 0xe4e4e4, x + width - 236, y + height - 50, 100, 32);
  draw_text (cr, NULL, TEXT_COLOR, x + width - 210, y + height - 42, 0, "Cancel");
  fill_rect (cr, 0xc0392b, x + width - 124, y + height - 50, 100, 32);
  draw_text (cr, "DejaVu Sans Bold 10", 0xffffff, x + width - 96, y + height - 42, 0, "Delete");
}

/* Smooth value noise in [0, 1) on a lattice of cell pixels. */
static double
lattice (guint32 seed, int x, int y)
{
  guint32 h = seed ^ (guint32) x * 0x27d4eb2du ^ (guint32) y * 0x165667b1u;

  h = (h ^ (h >> 15)) * 0x2c1b3c6du;
  h = (h ^ (h >> 12)) * 0x297a2d39u;
  return (h ^ (h >> 15)) / 4294967296.0;
}

static double
value_noise (guint32 seed, double x, double y)
{
  int ix = (int) floor (x), iy = (int) floor (y);
  double fx = x - ix, fy = y - iy;
  double sx = fx * fx * (3 - 2 * fx), sy = fy * fy * (3 - 2 * fy);
  double top = lattice (seed, ix, iy) * (1 - sx) + lattice (seed, ix + 1, iy) * sx;
  double bottom = lattice (seed, ix, iy + 1) * (1 - sx) + lattice (seed, ix + 1, iy + 1) * sx;

  return top * (1 - sy) + bottom * sy;
}

/* A landscape photograph, as far as a generator gets: sky, two ranges of hills with
 * texture of every size, and grain. */
static void
draw_photo (cairo_surface_t *surface, guint32 seed)
{
  guint8 *data = cairo_image_surface_get_data (surface);
  int stride = cairo_image_surface_get_stride (surface);
  int width = cairo_image_surface_get_width (surface);
  int height = cairo_image_surface_get_height (surface);

  cairo_surface_flush (surface);
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        double texture = 0, amplitude = 0.5;
        double far = height * (0.45 + 0.12 * value_noise (seed, x / 180.0, 0));
        double near = height * (0.62 + 0.18 * value_noise (seed + 1, x / 260.0, 0));
        double r, g, b, grain;

        for (double scale = 64; scale >= 2; scale /= 2, amplitude /= 2)
          texture += amplitude * (value_noise (seed + 2, x / scale, y / scale) - 0.5);
        if (y < far)
          {
            double t = (double) y / far;

            r = 90 + 90 * t;
            g = 140 + 70 * t;
            b = 210 + 30 * t + 20 * texture;
          }
        else if (y < near)
          {
            r = 80 + 60 * texture;
            g = 110 + 70 * texture;
            b = 120 + 40 * texture;
          }
        else
          {
            double depth = (y - near) / (height - near);

            r = 70 + 40 * depth + 110 * texture;
            g = 110 + 30 * depth + 120 * texture;
            b = 40 + 60 * texture;
          }
        /* a JPEG's grain: faint, never a pixel alone */
        grain = 8 * (lattice (seed + 3, x / 2, y / 2) - 0.5);
        *(guint32 *) (data + y * stride + x * 4) = (guint32) CLAMP (r + grain, 0, 255) << 16
                                                   | (guint32) CLAMP (g + grain, 0, 255) << 8
                                                   | (guint32) CLAMP (b + grain, 0, 255);
      }
  cairo_surface_mark_dirty (surface);
}

/* The scroll scene's page: headings, paragraphs with links, a red notice. */
static cairo_surface_t *
draw_page (GRand *rand)
{
  int height = VIEWPORT_HEIGHT + SCROLL_DISTANCE;
  cairo_surface_t *surface
      = cairo_image_surface_create (CAIRO_FORMAT_RGB24, VIEWPORT_WIDTH, height);
  cairo_t *cr = cairo_create (surface);
  double y = 24;

  fill_rect (cr, 0xffffff, 0, 0, VIEWPORT_WIDTH, height);
  for (guint section = 0; y < height; section++)
    {
      g_autofree char *heading = sentence (rand, 4);

      y += draw_text (cr, "DejaVu Sans Bold 15", TEXT_COLOR, 60, y, 0, heading) + 10;
      if (section % 3 == 1)
        y += draw_text (cr, NULL, ERROR_COLOR, 60, y, 0,
                        "Your session will expire in 5 minutes. Save your work.")
             + 10;
      for (guint paragraph = 0; paragraph < 2; paragraph++)
        {
          g_autoptr (GString) text = g_string_new (NULL);

          for (guint i = 0; i < 5; i++)
            {
              g_autofree char *one = sentence (rand, g_rand_int_range (rand, 8, 16));

              g_string_append_printf (text, "%s ", one);
            }
          y += draw_text (cr, NULL, TEXT_COLOR, 60, y, VIEWPORT_WIDTH - 120, text->str) + 12;
        }
      y += 14;
    }
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  return surface;
}

/* Uploads surface into a new pixmap, a band of rows a request. */
static xcb_pixmap_t
upload (VsaBenchScenes *self, cairo_surface_t *surface)
{
  int width = cairo_image_surface_get_width (surface);
  int height = cairo_image_surface_get_height (surface);
  int stride = cairo_image_surface_get_stride (surface);
  const guint8 *data;
  xcb_pixmap_t pixmap = xcb_generate_id (self->connection);

  cairo_surface_flush (surface);
  data = cairo_image_surface_get_data (surface);
  xcb_create_pixmap (self->connection, self->screen->root_depth, pixmap, self->screen->root, width,
                     height);
  for (int y = 0; y < height; y += 64)
    {
      int rows = MIN (64, height - y);

      xcb_put_image (self->connection, XCB_IMAGE_FORMAT_Z_PIXMAP, pixmap, self->gc, width, rows, 0,
                     y, 0, self->screen->root_depth, rows * stride, data + y * stride);
    }
  return pixmap;
}

/* A round trip: every request before it has been carried out. */
static void
sync_x (VsaBenchScenes *self)
{
  free (xcb_get_input_focus_reply (self->connection, xcb_get_input_focus (self->connection), NULL));
}

static void
copy_to_screen (VsaBenchScenes *self, int src_x, int src_y, int x, int y, int width, int height)
{
  xcb_copy_area (self->connection, self->picture, self->screen->root, self->gc, src_x, src_y, x, y,
                 width, height);
}

/* Where the window scene's window and the dialog go for rep (the photo and the page are
 * the same each time, the foreground moves and its words change). */
static VsaBenchRect
foreground_rect (VsaBenchSceneKind kind, guint rep)
{
  if (kind == VSA_BENCH_SCENE_WINDOW)
    return (VsaBenchRect){ 180 + 70 * (rep % 4), 90 + 24 * (rep % 4), 760, 470 };
  return (VsaBenchRect){ 330 + 60 * (rep % 4), 200 + 30 * (rep % 4), 600, 220 };
}

static void
scene_parts (VsaBenchSceneKind kind, const VsaBenchRect *fg, VsaBenchSceneParts *parts)
{
  *parts = (VsaBenchSceneParts){ { 0 } };
  switch (kind)
    {
    case VSA_BENCH_SCENE_SCROLL:
      parts->region = (VsaBenchRect){ VIEWPORT_X, VIEWPORT_Y, VIEWPORT_WIDTH, VIEWPORT_HEIGHT };
      parts->detail
          = (VsaBenchRect){ VIEWPORT_X + 40, VIEWPORT_Y + 40, DETAIL_WIDTH, DETAIL_HEIGHT };
      return;
    case VSA_BENCH_SCENE_WINDOW:
      /* the form's password, error line and links (draw_sign_in's layout) */
      parts->detail = (VsaBenchRect){ fg->x + 16, fg->y + 140, DETAIL_WIDTH, DETAIL_HEIGHT };
      parts->colour_text = (VsaBenchRect){ fg->x + 24, fg->y + 198, 400, 40 };
      parts->black_text = (VsaBenchRect){ fg->x + 24, fg->y + 256, 400, 40 };
      break;
    case VSA_BENCH_SCENE_DIALOG:
      parts->detail = (VsaBenchRect){ fg->x + 80, fg->y + 40, DETAIL_WIDTH, DETAIL_HEIGHT };
      break;
    }
  parts->region = (VsaBenchRect){ fg->x - MARGIN, fg->y - MARGIN, fg->width + 2 * MARGIN,
                                  fg->height + 2 * MARGIN };
}

void
vsa_bench_scenes_prepare (VsaBenchScenes *self, VsaBenchSceneKind kind, guint rep,
                          VsaBenchSceneParts *parts)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (17 + rep * 31 + kind);
  cairo_surface_t *surface = NULL;
  cairo_t *cr;
  VsaBenchRect fg = foreground_rect (kind, rep);

  g_clear_handle_id (&self->scroll_source, g_source_remove);
  if (self->picture != XCB_NONE)
    xcb_free_pixmap (self->connection, self->picture);
  g_clear_pointer (&self->page, vsa_bench_image_free);

  /* picture: the screen before the change (top) and after it (bottom); for the scroll,
   * the browser window (top) and its whole page (bottom left) */
  surface = cairo_image_surface_create (
      CAIRO_FORMAT_RGB24, self->width,
      self->height
          + (kind == VSA_BENCH_SCENE_SCROLL ? VIEWPORT_HEIGHT + SCROLL_DISTANCE : self->height));
  cr = cairo_create (surface);
  switch (kind)
    {
    case VSA_BENCH_SCENE_WINDOW:
      fill_rect (cr, 0x3a6ea5, 0, 0, self->width, 2 * self->height);
      draw_sign_in (cr, rand, fg.x, self->height + fg.y, fg.width, fg.height);
      break;
    case VSA_BENCH_SCENE_DIALOG:
      {
        cairo_surface_t *photo
            = cairo_image_surface_create (CAIRO_FORMAT_RGB24, self->width, self->height);

        draw_photo (photo, 5);
        for (int half = 0; half < 2; half++)
          {
            cairo_set_source_surface (cr, photo, 0, half * self->height);
            cairo_paint (cr);
          }
        cairo_surface_destroy (photo);
        draw_dialog (cr, rand, fg.x, self->height + fg.y, fg.width, fg.height);
        break;
      }
    case VSA_BENCH_SCENE_SCROLL:
      {
        cairo_surface_t *page = draw_page (rand);

        self->page = vsa_bench_image_new_from_bgrx (
            cairo_image_surface_get_data (page), cairo_image_surface_get_width (page),
            cairo_image_surface_get_height (page), cairo_image_surface_get_stride (page));
        fill_rect (cr, 0x2b2b2b, 0, 0, self->width, self->height);
        draw_window (cr, VIEWPORT_X - 8, 24, VIEWPORT_WIDTH + 16, self->height - 40,
                     "Release notes — Web browser");
        fill_rect (cr, 0xf0f0f0, VIEWPORT_X - 8, 54, VIEWPORT_WIDTH + 16, 38);
        draw_text (cr, NULL, 0x505050, VIEWPORT_X + 12, 64, 0,
                   "https://docs.example.com/release-notes/2026/december");
        cairo_set_source_surface (cr, page, 0, self->height);
        cairo_paint (cr);
        cairo_surface_destroy (page);
        break;
      }
    }
  cairo_destroy (cr);
  self->picture = upload (self, surface);
  cairo_surface_destroy (surface);

  copy_to_screen (self, 0, 0, 0, 0, self->width, self->height);
  if (kind == VSA_BENCH_SCENE_SCROLL)
    copy_to_screen (self, 0, self->height, VIEWPORT_X, VIEWPORT_Y, VIEWPORT_WIDTH, VIEWPORT_HEIGHT);
  self->scroll_offset = 0;
  self->scroll_start_us = self->scroll_end_us = 0;
  sync_x (self);
  scene_parts (kind, &fg, parts);
}

static gboolean
scroll_tick (gpointer data)
{
  VsaBenchScenes *self = data;
  gint64 ticks = (g_get_monotonic_time () - self->scroll_start_us) / SCROLL_TICK_US;
  guint offset = MIN (SCROLL_DISTANCE, ticks * SCROLL_STEP);

  if (offset != self->scroll_offset)
    {
      self->scroll_offset = offset;
      copy_to_screen (self, 0, self->height + offset, VIEWPORT_X, VIEWPORT_Y, VIEWPORT_WIDTH,
                      VIEWPORT_HEIGHT);
      xcb_flush (self->connection);
    }
  if (offset < SCROLL_DISTANCE)
    return G_SOURCE_CONTINUE;
  sync_x (self);
  self->scroll_end_us = g_get_real_time ();
  self->scroll_source = 0;
  return G_SOURCE_REMOVE;
}

gint64
vsa_bench_scenes_change (VsaBenchScenes *self, VsaBenchSceneKind kind)
{
  if (kind == VSA_BENCH_SCENE_SCROLL)
    {
      self->scroll_start_us = g_get_monotonic_time ();
      self->scroll_source = g_timeout_add_full (G_PRIORITY_HIGH, 5, scroll_tick, self, NULL);
    }
  else
    copy_to_screen (self, 0, self->height, 0, 0, self->width, self->height);
  sync_x (self);
  return g_get_real_time ();
}

gint64
vsa_bench_scenes_scroll_end (VsaBenchScenes *self)
{
  return self->scroll_end_us;
}

VsaBenchImage *
vsa_bench_scenes_grab (VsaBenchScenes *self, GError **error)
{
  g_autofree xcb_generic_error_t *x_error = NULL;
  g_autofree xcb_get_image_reply_t *reply = xcb_get_image_reply (
      self->connection,
      xcb_get_image (self->connection, XCB_IMAGE_FORMAT_Z_PIXMAP, self->screen->root, 0, 0,
                     self->width, self->height, ~0u),
      &x_error);

  if (reply == NULL || xcb_get_image_data_length (reply) < (int) (self->width * self->height * 4))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot read the X screen (error %d)",
                   x_error != NULL ? x_error->error_code : 0);
      return NULL;
    }
  return vsa_bench_image_new_from_bgrx (xcb_get_image_data (reply), self->width, self->height,
                                        self->width * 4);
}

VsaBenchImage *
vsa_bench_scenes_scroll_reference (VsaBenchScenes *self, const VsaBenchImage *screen,
                                   const VsaBenchImage *decoded)
{
  VsaBenchRect viewport = { VIEWPORT_X, VIEWPORT_Y, VIEWPORT_WIDTH, VIEWPORT_HEIGHT };
  VsaBenchImage *reference = vsa_bench_image_copy (screen);
  guint best = 0;
  double best_distance = INFINITY;

  g_return_val_if_fail (self->page != NULL, reference);
  for (guint offset = 0; offset <= SCROLL_DISTANCE; offset += SCROLL_STEP)
    {
      VsaBenchRect rows = { 0, offset, VIEWPORT_WIDTH, VIEWPORT_HEIGHT };
      double distance;

      vsa_bench_image_paste (reference, VIEWPORT_X, VIEWPORT_Y, self->page, &rows);
      distance = vsa_bench_image_distance (reference, decoded, &viewport, 4);
      if (distance < best_distance)
        {
          best_distance = distance;
          best = offset;
        }
    }
  vsa_bench_image_paste (reference, VIEWPORT_X, VIEWPORT_Y, self->page,
                         &(VsaBenchRect){ 0, best, VIEWPORT_WIDTH, VIEWPORT_HEIGHT });
  return reference;
}

VsaBenchScenes *
vsa_bench_scenes_new (const char *display, guint width, guint height, GError **error)
{
  g_autoptr (VsaBenchScenes) self = g_new0 (VsaBenchScenes, 1);
  const guint32 gc_values[] = { 0 /* no GraphicsExpose events from xcb_copy_area */ };

  self->width = width;
  self->height = height;
  self->connection = xcb_connect (display, NULL);
  if (xcb_connection_has_error (self->connection))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot connect to X display %s", display);
      return NULL;
    }
  self->screen = xcb_setup_roots_iterator (xcb_get_setup (self->connection)).data;
  if (self->screen->root_depth != 24)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "X display %s is not 24 bits deep",
                   display);
      return NULL;
    }
  self->gc = xcb_generate_id (self->connection);
  xcb_create_gc (self->connection, self->gc, self->screen->root, XCB_GC_GRAPHICS_EXPOSURES,
                 gc_values);
  /* the pointer (which the agent draws into its frames) out of every scene's way */
  xcb_warp_pointer (self->connection, XCB_NONE, self->screen->root, 0, 0, 0, 0, width - 1,
                    height - 1);
  sync_x (self);
  return g_steal_pointer (&self);
}

void
vsa_bench_scenes_free (VsaBenchScenes *self)
{
  if (self == NULL)
    return;
  g_clear_handle_id (&self->scroll_source, g_source_remove);
  g_clear_pointer (&self->page, vsa_bench_image_free);
  if (self->connection != NULL)
    xcb_disconnect (self->connection);
  g_free (self);
}
