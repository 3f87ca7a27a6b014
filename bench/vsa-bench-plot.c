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

/* ---- Over time ---- */

#define T_LEFT 72
#define T_WIDTH 800
#define T_RIGHT 24
#define T_CHART 150  /* each chart's height */
#define T_HEADING 40 /* a run's title and legend above its charts */
#define T_GAP 28     /* between the two charts: the time axis' labels */

/* A chart's frame at top: horizontal rules and labels from 0 to max on the left. */
static void
vsa_bench_plot_chart_frame (GString *svg, double top, double max, const char *unit, double duration)
{
  double step = tick_step (max);
  double time_step = tick_step (duration);

  for (double tick = 0; tick <= max + step / 2; tick += step)
    {
      double y = top + T_CHART - tick / max * T_CHART;

      g_string_append_printf (
          svg,
          "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>\n"
          "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
          T_LEFT, y, T_LEFT + T_WIDTH, y, T_LEFT - 6, y + 4, tick);
    }
  for (double t = 0; t <= duration + time_step / 2; t += time_step)
    {
      double x = T_LEFT + t / duration * T_WIDTH;

      g_string_append_printf (svg,
                              "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                              "stroke=\"#eee\"/>\n<text x=\"%.1f\" y=\"%.1f\" "
                              "text-anchor=\"middle\" fill=\"#666\">%g</text>\n",
                              x, top, x, top + T_CHART, x, top + T_CHART + 14, t);
    }
  g_string_append_printf (svg,
                          "<text x=\"%d\" y=\"%.1f\" fill=\"#666\">%s</text>\n"
                          "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%d\" fill=\"none\" "
                          "stroke=\"#999\"/>\n",
                          T_LEFT + 4, top + 12, unit, T_LEFT, top, T_WIDTH, T_CHART);
}

/* Rounded up to a tick. */
static double
vsa_bench_plot_axis_max (double max)
{
  double step = tick_step (max);

  return ceil (max / step) * step;
}

static void
vsa_bench_plot_timeline (GString *svg, const VsaBenchTimeline *run, double top, double duration)
{
  g_autofree char *title = g_markup_escape_text (run->title, -1);
  double rate_top = top + T_HEADING, latency_top = rate_top + T_CHART + T_GAP;
  double rate_max = 100, latency_max = 250, legend_x = T_LEFT + 240;
#define TX(t) (T_LEFT + CLAMP ((t) / duration, 0, 1) * T_WIDTH)
#define RY(v) (rate_top + T_CHART - MIN ((v) / rate_max, 1) * T_CHART)
#define LY(v) (latency_top + T_CHART - MIN ((v) / latency_max, 1) * T_CHART)

  for (guint i = 0; i < run->n_lines; i++)
    for (guint j = 0; j < run->lines[i].n_points; j++)
      rate_max = MAX (rate_max, run->lines[i].points[j].v * 1.05);
  for (guint i = 0; i < run->n_latencies; i++)
    latency_max = MAX (latency_max, run->latencies[i].v);
  rate_max = vsa_bench_plot_axis_max (rate_max);
  latency_max = vsa_bench_plot_axis_max (latency_max);

  g_string_append_printf (svg, "<text x=\"%d\" y=\"%.1f\" font-weight=\"bold\">%s</text>\n", T_LEFT,
                          top + 24, title);
  for (guint i = 0; i < run->n_lines; i++, legend_x += 170)
    {
      g_autofree char *label = g_markup_escape_text (run->lines[i].label, -1);

      g_string_append_printf (svg,
                              "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                              "stroke=\"%s\" stroke-width=\"2\"/>\n"
                              "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n",
                              legend_x, top + 20, legend_x + 18, top + 20, run->lines[i].color,
                              legend_x + 22, top + 24, label);
    }
  vsa_bench_plot_chart_frame (svg, rate_top, rate_max, "kbit/s", duration);
  vsa_bench_plot_chart_frame (svg, latency_top, latency_max, "glass-to-glass ms", duration);

  for (guint i = 0; i < run->n_freezes; i++)
    g_string_append_printf (svg,
                            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" "
                            "fill=\"#d62728\" fill-opacity=\"0.18\"/>\n",
                            TX (run->freezes[i].t), latency_top,
                            MAX (TX (run->freezes[i].v) - TX (run->freezes[i].t), 1), T_CHART);
  for (guint i = 0; i < run->n_marks; i++)
    g_string_append_printf (svg,
                            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                            "stroke=\"#333\" stroke-dasharray=\"4 3\"/>\n",
                            TX (run->marks[i]), rate_top, TX (run->marks[i]),
                            latency_top + T_CHART);
  for (guint i = 0; i < run->n_lines; i++)
    {
      const VsaBenchLine *line = &run->lines[i];

      if (line->n_points == 0)
        continue;
      g_string_append_printf (svg,
                              "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%s\" "
                              "points=\"",
                              line->color, line->steps ? "3" : "1.5");
      for (guint j = 0; j < line->n_points; j++)
        {
          if (line->steps && j > 0)
            g_string_append_printf (svg, "%.1f,%.1f ", TX (line->points[j].t),
                                    RY (line->points[j - 1].v));
          g_string_append_printf (svg, "%.1f,%.1f ", TX (line->points[j].t),
                                  RY (line->points[j].v));
        }
      if (line->steps)
        g_string_append_printf (svg, "%.1f,%.1f", TX (duration),
                                RY (line->points[line->n_points - 1].v));
      g_string_append (svg, "\"/>\n");
    }
  for (guint i = 0; i < run->n_latencies; i++)
    g_string_append_printf (svg, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.2\" fill=\"%s\"/>\n",
                            TX (run->latencies[i].t), LY (run->latencies[i].v),
                            run->latencies[i].v > latency_max ? "#d62728" : "#08306b");
  for (guint i = 0; i < run->n_missed; i++)
    g_string_append_printf (svg,
                            "<path d=\"M%.1f %.1fl6 6m0 -6l-6 6\" stroke=\"#d62728\" "
                            "stroke-width=\"1.5\"/>\n",
                            TX (run->missed[i]) - 3, latency_top + 3);
#undef TX
#undef RY
#undef LY
}

char *
vsa_bench_plot_timelines_svg (const char *title, const VsaBenchTimeline *runs, guint n_runs,
                              double duration)
{
  GString *svg = g_string_new (NULL);
  g_autofree char *escaped_title = g_markup_escape_text (title, -1);
  double run_height = T_HEADING + 2 * T_CHART + 2 * T_GAP;
  double height = 40 + run_height * n_runs + 40;

  g_string_append_printf (
      svg,
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%.0f\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
      "<text x=\"16\" y=\"24\" font-size=\"16\" font-weight=\"bold\">%s</text>\n",
      T_LEFT + T_WIDTH + T_RIGHT, height, escaped_title);
  for (guint i = 0; i < n_runs; i++)
    vsa_bench_plot_timeline (svg, &runs[i], 40 + run_height * i, duration);
  g_string_append_printf (svg,
                          "<text x=\"%d\" y=\"%.0f\" text-anchor=\"middle\">seconds from the "
                          "first frame; dots: each change's latency at the time it was made"
                          "</text>\n<text x=\"%d\" y=\"%.0f\" text-anchor=\"middle\">red "
                          "crosses: changes never shown; red bands: over 300 ms without a new "
                          "frame; dashed: the link's rate changed</text>\n",
                          (T_LEFT + T_WIDTH + T_RIGHT) / 2, height - 24,
                          (T_LEFT + T_WIDTH + T_RIGHT) / 2, height - 8);
  g_string_append (svg, "</svg>\n");
  return g_string_free (svg, FALSE);
}
