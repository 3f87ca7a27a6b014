/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* One row of the plot: a configuration's latency samples (ms), sorted. */
typedef struct
{
  const char *label;
  const double *samples;
  guint n_samples;
} VsaBenchSeries;

/* The sorted samples' q-quantile (0 to 1), linearly interpolated; NAN when empty. */
double vsa_bench_quantile (const double *sorted, guint n, double q);

/* An SVG document: one box plot per series on a shared millisecond axis (box: the middle
 * half, thick line: the median, whiskers: min to max, tick: p95, dots: every sample). */
char *vsa_bench_plot_svg (const char *title, const VsaBenchSeries *series, guint n_series);

G_END_DECLS
