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

/* A point of a plot over time: seconds from the start, and a value. */
typedef struct
{
  double t, v;
} VsaBenchPoint;

/* A line of the rate chart: kbit/s over time. */
typedef struct
{
  const char *label;
  const char *color;
  const VsaBenchPoint *points;
  guint n_points;
  gboolean steps; /* each value holds until the next (a link's rate), else joined */
} VsaBenchLine;

/* One run over time: a chart of rates (lines), and under it one of latencies, a dot per
 * change at the time it was made; the changes never shown as red crosses along the top,
 * frames' pauses (freezes) as red bands, marks (e.g. a link's drop) as dashed lines. */
typedef struct
{
  const char *title;
  const VsaBenchLine *lines;
  guint n_lines;
  const VsaBenchPoint *latencies; /* (change made, latency ms) */
  guint n_latencies;
  const double *missed; /* changes never shown: when made */
  guint n_missed;
  const VsaBenchPoint *freezes; /* (start, end), both in seconds */
  guint n_freezes;
  const double *marks;
  guint n_marks;
} VsaBenchTimeline;

/* An SVG document with the runs' charts stacked, on a shared time axis of duration s. */
char *vsa_bench_plot_timelines_svg (const char *title, const VsaBenchTimeline *runs, guint n_runs,
                                    double duration);

G_END_DECLS
