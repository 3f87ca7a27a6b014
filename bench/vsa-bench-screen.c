/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The benchmark's picture: see vsa-bench-screen.h. */

#include "vsa-bench-screen.h"

#include <gio/gio.h>
#include <xcb/xcb.h>

#define PANEL_HEIGHT 192 /* the still band at the top, holding the patch */
#define TICK_US 16667    /* 60 Hz */
#define TEXT_STEP 2      /* pixels the text scrolls up per tick */
#define CHART_STEP 3     /* pixels the chart scrolls left per tick */
#define LINE_HEIGHT 20   /* a line of text: 14 px of words, 6 px of space */
#define WORD_HEIGHT 14
#define BAR_WIDTH 24
#define VIDEO_BLOCK 8 /* the video's blocks of random grey, pixels a side */
#define VIDEO_GREYS 16

struct _VsaBenchScreen
{
  xcb_connection_t *connection;
  xcb_window_t root;
  xcb_gcontext_t gc;
  guint width, height;
  guint text_width; /* the text's share of the width; the chart has the rest */
  gboolean moving;
  guint code_bits;               /* 0: the black or white patch */
  gboolean video;                /* the chart's place holds a video instead */
  xcb_rectangle_t *video_blocks; /* room for every block under each grey */
  GRand *content_rand;
  GRand *switch_rand;

  /* The text line being scrolled in, and where in it the next rows come from. */
  guint line_row;
  guint n_words;
  guint16 word_x[64], word_width[64];
  guint32 word_color[64];
  /* The bar being scrolled in. */
  guint bar_column;
  guint bar_height;
  guint32 bar_color;

  GThread *thread;
  GMutex lock;
  GCond wake;
  gboolean stopping; /* under lock */
  GArray *switches;  /* of VsaBenchSwitch, under lock */
};

static void
fill (VsaBenchScreen *self, guint32 color, int x, int y, guint width, guint height)
{
  xcb_rectangle_t rectangle = { x, y, width, height };

  xcb_change_gc (self->connection, self->gc, XCB_GC_FOREGROUND, &color);
  xcb_poly_fill_rectangle (self->connection, self->root, self->gc, 1, &rectangle);
}

/* A round trip: every request before it has been carried out, so the pixels are in the
 * framebuffer. */
static void
sync_x (VsaBenchScreen *self)
{
  free (xcb_get_input_focus_reply (self->connection, xcb_get_input_focus (self->connection), NULL));
}

/* Words of a new line of text: an indent, words of random widths, some of them links;
 * now and then an empty line between paragraphs. */
static void
new_line (VsaBenchScreen *self)
{
  guint x = 24 + 32 * g_rand_int_range (self->content_rand, 0, 2);
  guint end
      = self->text_width - 24 - g_rand_int_range (self->content_rand, 0, self->text_width / 3);

  self->n_words = 0;
  if (g_rand_int_range (self->content_rand, 0, 8) == 0)
    return;
  while (self->n_words < G_N_ELEMENTS (self->word_x))
    {
      guint width = g_rand_int_range (self->content_rand, 16, 96);

      if (x + width > end)
        break;
      self->word_x[self->n_words] = x;
      self->word_width[self->n_words] = width;
      self->word_color[self->n_words]
          = g_rand_int_range (self->content_rand, 0, 10) == 0 ? 0x1a4fc4 : 0x303030;
      self->n_words++;
      x += width + 8;
    }
}

/* The text scrolls up by TEXT_STEP: the rows that come in at the bottom are the next
 * rows of the current line. */
static void
scroll_text (VsaBenchScreen *self)
{
  guint bottom = self->height - TEXT_STEP;

  xcb_copy_area (self->connection, self->root, self->root, self->gc, 0, PANEL_HEIGHT + TEXT_STEP, 0,
                 PANEL_HEIGHT, self->text_width, self->height - PANEL_HEIGHT - TEXT_STEP);
  fill (self, 0xffffff, 0, bottom, self->text_width, TEXT_STEP);
  if (self->line_row < WORD_HEIGHT)
    for (guint i = 0; i < self->n_words; i++)
      fill (self, self->word_color[i], self->word_x[i], bottom, self->word_width[i], TEXT_STEP);
  self->line_row += TEXT_STEP;
  if (self->line_row >= LINE_HEIGHT)
    {
      self->line_row = 0;
      new_line (self);
    }
}

/* The chart scrolls left by CHART_STEP: columns of bars of random heights and colours on
 * a ruled background. */
static void
scroll_chart (VsaBenchScreen *self)
{
  static const guint32 palette[] = { 0xe8553d, 0xf2a93b, 0x3fa34d, 0x2f7ed8, 0x8e44ad };
  guint chart_width = self->width - self->text_width;
  guint chart_height = self->height - PANEL_HEIGHT;
  int x = self->width - CHART_STEP;

  xcb_copy_area (self->connection, self->root, self->root, self->gc, self->text_width + CHART_STEP,
                 PANEL_HEIGHT, self->text_width, PANEL_HEIGHT, chart_width - CHART_STEP,
                 chart_height);
  fill (self, 0x14213d, x, PANEL_HEIGHT, CHART_STEP, chart_height);
  for (guint y = PANEL_HEIGHT + 40; y < self->height; y += 40)
    fill (self, 0x2c3e66, x, y, CHART_STEP, 1);
  if (self->bar_column == 0)
    {
      self->bar_height = g_rand_int_range (self->content_rand, chart_height / 8, chart_height);
      self->bar_color = palette[g_rand_int_range (self->content_rand, 0, G_N_ELEMENTS (palette))];
    }
  if (self->bar_column < BAR_WIDTH - 6) /* a gap between bars */
    fill (self, self->bar_color, x, self->height - self->bar_height, CHART_STEP, self->bar_height);
  self->bar_column = (self->bar_column + CHART_STEP) % BAR_WIDTH;
}

/* A video in the chart's place: every tick new blocks of random greys, as unpredictable
 * to an encoder as a film's noise, so that the content wants more bits than the links
 * give. The blocks go in one request per grey. */
static void
paint_video (VsaBenchScreen *self)
{
  guint columns = (self->width - self->text_width) / VIDEO_BLOCK;
  guint rows = (self->height - PANEL_HEIGHT) / VIDEO_BLOCK;
  xcb_rectangle_t *blocks = self->video_blocks;
  guint n[VIDEO_GREYS] = { 0 };

  for (guint row = 0; row < rows; row++)
    for (guint column = 0; column < columns; column++)
      {
        guint grey = g_rand_int_range (self->content_rand, 0, VIDEO_GREYS);

        blocks[grey * columns * rows + n[grey]++]
            = (xcb_rectangle_t){ self->text_width + column * VIDEO_BLOCK,
                                 PANEL_HEIGHT + row * VIDEO_BLOCK, VIDEO_BLOCK, VIDEO_BLOCK };
      }
  for (guint grey = 0; grey < VIDEO_GREYS; grey++)
    {
      guint32 color = grey * 0x111111;

      xcb_change_gc (self->connection, self->gc, XCB_GC_FOREGROUND, &color);
      xcb_poly_fill_rectangle (self->connection, self->root, self->gc, n[grey],
                               blocks + grey * columns * rows);
    }
}

/* The patch for the switch count value: white when odd, or its code. The code's cells
 * go in two requests, white and black, so that a capture between them fails the
 * complement check (each bit and its complement come out alike). */
static void
vsa_bench_screen_paint_patch (VsaBenchScreen *self, guint value)
{
  const guint cell = VSA_BENCH_PATCH_SIZE / 2;
  xcb_rectangle_t cells[2][64];
  guint n[2] = { 0, 0 };

  if (self->code_bits == 0)
    {
      fill (self, value % 2 ? 0xffffff : 0x000000, VSA_BENCH_PATCH_X, VSA_BENCH_PATCH_Y,
            VSA_BENCH_PATCH_SIZE, VSA_BENCH_PATCH_SIZE);
      return;
    }
  for (guint i = 0; i < 2 * self->code_bits; i++)
    {
      guint bit = (value >> (i % self->code_bits)) & 1;
      guint white = i < self->code_bits ? bit : !bit;

      cells[white][n[white]++]
          = (xcb_rectangle_t){ VSA_BENCH_PATCH_X + i * cell, VSA_BENCH_PATCH_Y, cell, cell };
    }
  for (guint white = 0; white < 2; white++)
    {
      guint32 color = white ? 0xffffff : 0x000000;

      xcb_change_gc (self->connection, self->gc, XCB_GC_FOREGROUND, &color);
      xcb_poly_fill_rectangle (self->connection, self->root, self->gc, n[white], cells[white]);
    }
}

/* The whole picture, as the animation would have drawn it by now. */
static void
paint_initial (VsaBenchScreen *self)
{
  guint text_ticks = (self->height - PANEL_HEIGHT) / TEXT_STEP;
  guint chart_ticks = (self->width - self->text_width) / CHART_STEP;

  fill (self, 0x3a3f4b, 0, 0, self->width, PANEL_HEIGHT);
  fill (self, 0x50576a, 0, PANEL_HEIGHT - 32, self->width, 32);
  vsa_bench_screen_paint_patch (self, 0);
  new_line (self);
  for (guint i = 0; i < MAX (text_ticks, chart_ticks); i++)
    {
      if (i < text_ticks)
        scroll_text (self);
      if (i < chart_ticks && !self->video)
        scroll_chart (self);
      if (i % 64 == 0)
        sync_x (self);
    }
  sync_x (self);
}

static gint64
next_switch_after (VsaBenchScreen *self, gint64 time_us)
{
  return time_us + g_rand_int_range (self->switch_rand, 250, 451) * 1000;
}

static gpointer
paint_thread (gpointer data)
{
  VsaBenchScreen *self = data;
  gint64 next_tick = g_get_monotonic_time ();
  gint64 next_switch = next_switch_after (self, next_tick);
  guint value = 0;

  g_mutex_lock (&self->lock);
  while (!self->stopping && !xcb_connection_has_error (self->connection))
    {
      gint64 now = g_get_monotonic_time ();

      g_mutex_unlock (&self->lock);
      if (now >= next_switch)
        {
          VsaBenchSwitch change;

          value++;
          vsa_bench_screen_paint_patch (self, value);
          sync_x (self);
          change = (VsaBenchSwitch){ g_get_real_time (), value % 2, value };
          next_switch = next_switch_after (self, next_switch);
          g_mutex_lock (&self->lock);
          g_array_append_val (self->switches, change);
          g_mutex_unlock (&self->lock);
        }
      if (self->moving && now >= next_tick)
        {
          scroll_text (self);
          if (self->video)
            paint_video (self);
          else
            scroll_chart (self);
          sync_x (self);
          /* Late (a busy machine): skip ticks rather than hurry. */
          next_tick = MAX (next_tick + TICK_US, now);
        }
      g_mutex_lock (&self->lock);
      if (!self->stopping)
        g_cond_wait_until (&self->wake, &self->lock,
                           self->moving ? MIN (next_tick, next_switch) : next_switch);
    }
  g_mutex_unlock (&self->lock);
  return NULL;
}

VsaBenchScreen *
vsa_bench_screen_start (const char *display, guint width, guint height, gboolean moving,
                        guint32 seed, GError **error)
{
  return vsa_bench_screen_start_coded (display, width, height, moving, seed, 0, FALSE, error);
}

VsaBenchScreen *
vsa_bench_screen_start_coded (const char *display, guint width, guint height, gboolean moving,
                              guint32 seed, guint code_bits, gboolean video, GError **error)
{
  g_autoptr (VsaBenchScreen) self = g_new0 (VsaBenchScreen, 1);
  const guint32 gc_values[] = { 0 /* no GraphicsExpose events from xcb_copy_area */ };
  const xcb_setup_t *setup;

  g_mutex_init (&self->lock);
  g_cond_init (&self->wake);
  self->switches = g_array_new (FALSE, FALSE, sizeof (VsaBenchSwitch));
  self->content_rand = g_rand_new_with_seed (seed);
  self->switch_rand = g_rand_new_with_seed (seed + 1);
  self->width = width;
  self->height = height;
  self->text_width = width * 2 / 3;
  self->moving = moving;
  self->code_bits = MIN (code_bits, 32);
  self->video = video;
  if (video)
    self->video_blocks
        = g_new (xcb_rectangle_t, VIDEO_GREYS * ((width - self->text_width) / VIDEO_BLOCK)
                                      * ((height - PANEL_HEIGHT) / VIDEO_BLOCK));
  self->connection = xcb_connect (display, NULL);
  if (xcb_connection_has_error (self->connection))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot connect to X display %s", display);
      return NULL;
    }
  setup = xcb_get_setup (self->connection);
  self->root = xcb_setup_roots_iterator (setup).data->root;
  self->gc = xcb_generate_id (self->connection);
  xcb_create_gc (self->connection, self->gc, self->root, XCB_GC_GRAPHICS_EXPOSURES, gc_values);
  paint_initial (self);
  self->thread = g_thread_new ("vsa-bench-screen", paint_thread, self);
  return g_steal_pointer (&self);
}

GArray *
vsa_bench_screen_dup_switches (VsaBenchScreen *self)
{
  GArray *copy = g_array_new (FALSE, FALSE, sizeof (VsaBenchSwitch));

  g_mutex_lock (&self->lock);
  g_array_append_vals (copy, self->switches->data, self->switches->len);
  g_mutex_unlock (&self->lock);
  return copy;
}

void
vsa_bench_screen_free (VsaBenchScreen *self)
{
  if (self == NULL)
    return;
  if (self->thread != NULL)
    {
      g_mutex_lock (&self->lock);
      self->stopping = TRUE;
      g_cond_signal (&self->wake);
      g_mutex_unlock (&self->lock);
      g_thread_join (self->thread);
    }
  if (self->connection != NULL)
    xcb_disconnect (self->connection);
  g_free (self->video_blocks);
  g_clear_pointer (&self->content_rand, g_rand_free);
  g_clear_pointer (&self->switch_rand, g_rand_free);
  g_array_unref (self->switches);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->wake);
  g_free (self);
}
