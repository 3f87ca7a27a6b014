/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "vsa-bench-image.h"

#include <glib.h>

G_BEGIN_DECLS

/* A picture strip for people to look at: a grid of crops of the same part of the screen
 * (the X screen beside what the browser showed at set times), with a title over each
 * column and a label before each row, written as a PNG. */
typedef struct _VsaBenchStrip VsaBenchStrip;

/* Columns of cell_width x cell_height crops. */
VsaBenchStrip *vsa_bench_strip_new (const char *const *column_titles, guint cell_width,
                                    guint cell_height);
void vsa_bench_strip_free (VsaBenchStrip *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsaBenchStrip, vsa_bench_strip_free)

/* A new row; returns its index. */
guint vsa_bench_strip_add_row (VsaBenchStrip *self, const char *label);
/* The cell shows image's cell-sized crop at (x, y) and caption under it (may be NULL). */
void vsa_bench_strip_set_cell (VsaBenchStrip *self, guint row, guint column,
                               const VsaBenchImage *image, int x, int y, const char *caption);
gboolean vsa_bench_strip_write_png (VsaBenchStrip *self, const char *path, GError **error);

G_END_DECLS
