/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The latency plot: see vsa-bench-plot.h. */

#include "vsa-bench-plot.h"

#include <math.h>

#define LEFT 320 /* room for the labels */
#define RIGHT 40
#define TOP 56
#define ROW 48
#define AXIS_WIDTH 640

double
vsa_bench_quantile (const double *sorted, guint n, double q)
{
  double position;
  guint below;

  if (n == 0)
    return NAN;
  position = q * (n - 1);
  below = (guint) floor (position);
  if (below + 1 >= n)
    return sorted[n - 1];
  return sorted[below] + (position - below) * (sorted[below + 1] - sorted[below]);
}

/* A tick step of 1, 2 or 5 times a power of ten giving 5 to 10 ticks up to max. */
static double
tick_step (double max)
{
  double step = pow (10, floor (log10 (max)));

  while (max / step < 5)
    step /= 2;
  while (max / step > 10)
    step *= 2;
  return step;
}

char *
vsa_bench_plot_svg (const char *title, const VsaBenchSeries *series, guint n_series)
{
  GString *svg = g_string_new (NULL);
  double max = 10;
  double step;
  guint height = TOP + ROW * MAX (n_series, 1) + 56;
  g_autofree char *escaped_title = g_markup_escape_text (title, -1);

  for (guint i = 0; i < n_series; i++)
    if (series[i].n_samples > 0)
      max = MAX (max, series[i].samples[series[i].n_samples - 1]);
  step = tick_step (max);
  max = ceil (max / step) * step;
#define X(ms) (LEFT + (ms) / max * AXIS_WIDTH)

  g_string_append_printf (
      svg,
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%u\" "
      "font-family=\"sans-serif\" font-size=\"13\">\n"
      "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
      "<text x=\"%d\" y=\"24\" font-size=\"16\" font-weight=\"bold\">%s</text>\n",
      LEFT + AXIS_WIDTH + RIGHT, height, 16, escaped_title);
  for (double tick = 0; tick <= max + step / 2; tick += step)
    g_string_append_printf (svg,
                            "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%u\" stroke=\"#ddd\"/>\n"
                            "<text x=\"%.1f\" y=\"%u\" text-anchor=\"middle\">%g</text>\n",
                            X (tick), TOP - 8, X (tick), height - 44, X (tick), height - 28, tick);
  g_string_append_printf (svg,
                          "<text x=\"%d\" y=\"%u\" text-anchor=\"middle\">glass-to-glass "
                          "latency (ms): box = middle half, thick line = median, whiskers = min "
                          "to max, red tick = p95, dots = samples</text>\n",
                          (LEFT + AXIS_WIDTH + RIGHT) / 2, height - 8);

  for (guint i = 0; i < n_series; i++)
    {
      const double *s = series[i].samples;
      guint n = series[i].n_samples;
      double y = TOP + ROW * i + ROW / 2.0;
      g_autofree char *label = g_markup_escape_text (series[i].label, -1);

      g_string_append_printf (svg,
                              "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s (n=%u)</text>\n",
                              LEFT - 12, y + 4, label, n);
      if (n == 0)
        continue;
      g_string_append_printf (
          svg,
          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555\"/>\n"
          "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"18\" fill=\"#9ecae1\" "
          "stroke=\"#3182bd\"/>\n"
          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#08306b\" "
          "stroke-width=\"3\"/>\n"
          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#d62728\" "
          "stroke-width=\"2\"/>\n",
          X (s[0]), y, X (s[n - 1]), y, X (vsa_bench_quantile (s, n, 0.25)), y - 9,
          X (vsa_bench_quantile (s, n, 0.75)) - X (vsa_bench_quantile (s, n, 0.25)),
          X (vsa_bench_quantile (s, n, 0.5)), y - 11, X (vsa_bench_quantile (s, n, 0.5)), y + 11,
          X (vsa_bench_quantile (s, n, 0.95)), y - 11, X (vsa_bench_quantile (s, n, 0.95)), y + 11);
      /* Samples spread over the row's height, in a fixed pattern, so that equal values
       * stay apart. */
      for (guint j = 0; j < n; j++)
        g_string_append_printf (svg,
                                "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\" fill=\"#333\" "
                                "fill-opacity=\"0.45\"/>\n",
                                X (s[j]), y + 14 + (j % 4) * 2.5);
    }
#undef X
  g_string_append (svg, "</svg>\n");
  return g_string_free (svg, FALSE);
}
