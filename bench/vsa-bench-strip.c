/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Picture strips: see vsa-bench-strip.h. */

#include "vsa-bench-strip.h"

#include <cairo.h>
#include <gio/gio.h>
#include <pango/pangocairo.h>

#define MARGIN 8
#define LABEL_WIDTH 150
#define TITLE_HEIGHT 22
#define CAPTION_HEIGHT 18
#define FONT "DejaVu Sans 9"

typedef struct
{
  VsaBenchImage *crop; /* NULL: an empty cell */
  char *caption;
} Cell;

struct _VsaBenchStrip
{
  GStrv titles;
  guint columns, cell_width, cell_height;
  GPtrArray *labels; /* of char *, one a row */
  GArray *cells;     /* of Cell, row after row */
};

static void
cell_clear (gpointer data)
{
  Cell *cell = data;

  g_clear_pointer (&cell->crop, vsa_bench_image_free);
  g_clear_pointer (&cell->caption, g_free);
}

VsaBenchStrip *
vsa_bench_strip_new (const char *const *column_titles, guint cell_width, guint cell_height)
{
  VsaBenchStrip *self = g_new0 (VsaBenchStrip, 1);

  self->titles = g_strdupv ((char **) column_titles);
  self->columns = g_strv_length (self->titles);
  self->cell_width = cell_width;
  self->cell_height = cell_height;
  self->labels = g_ptr_array_new_with_free_func (g_free);
  self->cells = g_array_new (FALSE, TRUE, sizeof (Cell));
  g_array_set_clear_func (self->cells, cell_clear);
  return self;
}

void
vsa_bench_strip_free (VsaBenchStrip *self)
{
  if (self == NULL)
    return;
  g_strfreev (self->titles);
  g_ptr_array_unref (self->labels);
  g_array_unref (self->cells);
  g_free (self);
}

guint
vsa_bench_strip_add_row (VsaBenchStrip *self, const char *label)
{
  g_ptr_array_add (self->labels, g_strdup (label));
  g_array_set_size (self->cells, self->labels->len * self->columns);
  return self->labels->len - 1;
}

void
vsa_bench_strip_set_cell (VsaBenchStrip *self, guint row, guint column, const VsaBenchImage *image,
                          int x, int y, const char *caption)
{
  Cell *cell;
  VsaBenchRect rect = { x, y, self->cell_width, self->cell_height };

  g_return_if_fail (row < self->labels->len && column < self->columns);
  cell = &g_array_index (self->cells, Cell, row * self->columns + column);
  cell_clear (cell);
  cell->crop = vsa_bench_image_new (self->cell_width, self->cell_height);
  vsa_bench_image_paste (cell->crop, 0, 0, image, &rect);
  cell->caption = g_strdup (caption);
}

static void
draw_text (cairo_t *cr, PangoLayout *layout, double x, double y, const char *text)
{
  pango_layout_set_text (layout, text, -1);
  cairo_move_to (cr, x, y);
  pango_cairo_show_layout (cr, layout);
}

static cairo_surface_t *
crop_surface (const VsaBenchImage *crop)
{
  cairo_surface_t *surface
      = cairo_image_surface_create (CAIRO_FORMAT_RGB24, crop->width, crop->height);
  guint8 *data = cairo_image_surface_get_data (surface);
  int stride = cairo_image_surface_get_stride (surface);

  for (guint y = 0; y < crop->height; y++)
    for (guint x = 0; x < crop->width; x++)
      {
        const guint8 *in = crop->rgb + ((gsize) y * crop->width + x) * 3;

        *(guint32 *) (data + y * stride + x * 4) = (guint32) in[0] << 16 | in[1] << 8 | in[2];
      }
  cairo_surface_mark_dirty (surface);
  return surface;
}

gboolean
vsa_bench_strip_write_png (VsaBenchStrip *self, const char *path, GError **error)
{
  guint row_height = self->cell_height + CAPTION_HEIGHT + MARGIN;
  guint width = LABEL_WIDTH + self->columns * (self->cell_width + MARGIN) + MARGIN;
  guint height = TITLE_HEIGHT + self->labels->len * row_height + MARGIN;
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, width, height);
  cairo_t *cr = cairo_create (surface);
  PangoLayout *layout = pango_cairo_create_layout (cr);
  PangoFontDescription *font = pango_font_description_from_string (FONT);
  cairo_status_t status;

  pango_layout_set_font_description (layout, font);
  cairo_set_source_rgb (cr, 0.16, 0.16, 0.18);
  cairo_paint (cr);
  cairo_set_source_rgb (cr, 1, 1, 1);
  for (guint c = 0; c < self->columns; c++)
    draw_text (cr, layout, LABEL_WIDTH + c * (self->cell_width + MARGIN), 3, self->titles[c]);
  for (guint r = 0; r < self->labels->len; r++)
    {
      double y = TITLE_HEIGHT + r * row_height;

      cairo_set_source_rgb (cr, 1, 1, 1);
      pango_layout_set_width (layout, (LABEL_WIDTH - MARGIN) * PANGO_SCALE);
      draw_text (cr, layout, MARGIN, y, self->labels->pdata[r]);
      pango_layout_set_width (layout, -1);
      for (guint c = 0; c < self->columns; c++)
        {
          Cell *cell = &g_array_index (self->cells, Cell, r * self->columns + c);
          double x = LABEL_WIDTH + c * (self->cell_width + MARGIN);

          if (cell->crop != NULL)
            {
              cairo_surface_t *crop = crop_surface (cell->crop);

              cairo_set_source_surface (cr, crop, x, y);
              cairo_paint (cr);
              cairo_surface_destroy (crop);
            }
          if (cell->caption != NULL)
            {
              cairo_set_source_rgb (cr, 0.85, 0.85, 0.85);
              draw_text (cr, layout, x, y + self->cell_height + 1, cell->caption);
            }
        }
    }
  pango_font_description_free (font);
  g_object_unref (layout);
  cairo_destroy (cr);
  status = cairo_surface_write_to_png (surface, path);
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot write %s: %s", path,
                   cairo_status_to_string (status));
      return FALSE;
    }
  return TRUE;
}
