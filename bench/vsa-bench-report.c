/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The bench's output: the results table and notes it prints, and the section of
 * BENCHMARKS.md and the plot it writes. */

#include "bench-config.h"

#include "vsa-bench-report.h"

#include "vsa-bench-plot.h"
#include "vsa-test-util.h"

#include <gio/gio.h>
#include <gst/gst.h>
#include <math.h>
#include <string.h>
#include <sys/utsname.h>

#define RESULTS_BEGIN "<!-- bench:results:begin -->"
#define RESULTS_END "<!-- bench:results:end -->"

void
vsa_bench_result_clear (VsaBenchResult *result)
{
  g_free (result->label);
  g_free (result->skipped);
  g_free (result->failed);
  g_clear_pointer (&result->latencies, g_array_unref);
  g_free (result->codec);
  g_free (result->bare_command);
}

static char *
format_number (double value, int decimals)
{
  return isnan (value) ? g_strdup ("-") : g_strdup_printf ("%.*f", decimals, value);
}

char *
vsa_bench_format_table (GPtrArray *rows)
{
  GString *table = g_string_new (NULL);
  GPtrArray *header = rows->pdata[0];
  g_autofree guint *widths = g_new0 (guint, header->len);

  for (guint r = 0; r < rows->len; r++)
    for (guint c = 0; c < header->len; c++)
      widths[c] = MAX (widths[c], g_utf8_strlen (((GPtrArray *) rows->pdata[r])->pdata[c], -1));
  for (guint r = 0; r < rows->len; r++)
    {
      GPtrArray *row = rows->pdata[r];

      for (guint c = 0; c < row->len; c++)
        g_string_append_printf (table, "| %s%*s ", (char *) row->pdata[c],
                                (int) (widths[c] - g_utf8_strlen (row->pdata[c], -1)), "");
      g_string_append (table, "|\n");
      for (guint c = 0; r == 0 && c < row->len; c++)
        {
          g_autofree char *dashes = g_strnfill (widths[c], '-');

          /* numbers to the right */
          g_string_append_printf (table, "|-%s%c", dashes, c == 0 ? '-' : ':');
        }
      g_string_append (table, r == 0 ? "|\n" : "");
    }
  return g_string_free (table, FALSE);
}

char *
vsa_bench_results_table (VsaBenchResult *results, guint n_results)
{
  static const char *const header[] = {
    "configuration",
    "codec",
    "offer→fetch ms",
    "offer→answer ms",
    "offer→frame ms",
    "g2g p50 ms",
    "p95",
    "min",
    "max",
    "samples (missed)",
    "fps",
    "kbit/s",
    "keyframes",
    "agent CPU %",
    "bare CPU %",
    "agent/bare",
    "agent RSS MB",
    "bare RSS MB",
    "waiting CPU %",
    "waiting RSS MB",
  };
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  GPtrArray *row = g_ptr_array_new_with_free_func (g_free);

  for (guint c = 0; c < G_N_ELEMENTS (header); c++)
    g_ptr_array_add (row, g_strdup (header[c]));
  g_ptr_array_add (rows, row);
  for (guint i = 0; i < n_results; i++)
    {
      VsaBenchResult *r = &results[i];
      const double *l = r->latencies != NULL ? (double *) r->latencies->data : NULL;
      guint n = r->latencies != NULL ? r->latencies->len : 0;

      if (r->skipped != NULL || r->failed != NULL)
        continue;
      row = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (row, g_strdup (r->label));
      g_ptr_array_add (row, g_strdup (r->codec + (g_str_has_prefix (r->codec, "video/") ? 6 : 0)));
      g_ptr_array_add (row, format_number (r->offer_to_fetch_ms, 0));
      g_ptr_array_add (row, format_number (r->offer_to_answer_ms, 0));
      g_ptr_array_add (row, format_number (r->offer_to_frame_ms, 0));
      g_ptr_array_add (row, format_number (vsa_bench_quantile (l, n, 0.5), 1));
      g_ptr_array_add (row, format_number (vsa_bench_quantile (l, n, 0.95), 1));
      g_ptr_array_add (row, format_number (n > 0 ? l[0] : NAN, 1));
      g_ptr_array_add (row, format_number (n > 0 ? l[n - 1] : NAN, 1));
      g_ptr_array_add (row, g_strdup_printf ("%u (%u)", n, r->missed));
      g_ptr_array_add (row, format_number (r->fps, 1));
      g_ptr_array_add (row, format_number (r->kbps, 0));
      g_ptr_array_add (row, g_strdup_printf ("%" G_GINT64_FORMAT, r->keyframes));
      g_ptr_array_add (row, format_number (r->streaming.cpu_percent, 1));
      g_ptr_array_add (row, format_number (r->bare.cpu_percent, 1));
      g_ptr_array_add (row, format_number (r->streaming.cpu_percent / r->bare.cpu_percent, 2));
      g_ptr_array_add (row, format_number (r->streaming.peak_rss_mb, 1));
      g_ptr_array_add (row, format_number (r->bare.peak_rss_mb, 1));
      g_ptr_array_add (row, format_number (r->waiting.cpu_percent, 2));
      g_ptr_array_add (row, format_number (r->waiting.peak_rss_mb, 1));
      g_ptr_array_add (rows, row);
    }
  return vsa_bench_format_table (rows);
}

/* "anon A + file F + shmem S MB" of a peak VmRSS. */
static char *
format_rss_split (const VsaBenchUsage *usage)
{
  return g_strdup_printf ("anon %.1f + file %.1f + shmem %.1f MB", usage->anon_mb, usage->file_mb,
                          usage->shmem_mb);
}

/* Per configuration: latency p50 by each of the page's timestamps, the page's clock check,
 * the split of each peak RSS, skipped and failed configurations. */
char *
vsa_bench_results_notes (VsaBenchResult *results, guint n_results)
{
  GString *notes = g_string_new (NULL);

  for (guint i = 0; i < n_results; i++)
    {
      VsaBenchResult *r = &results[i];
      g_autofree char *skew = NULL;

      if (r->skipped != NULL)
        g_string_append_printf (notes, "- %s: skipped: %s\n", r->label, r->skipped);
      else if (r->failed != NULL)
        g_string_append_printf (notes, "- %s: failed: %s\n", r->label, r->failed);
      else
        {
          g_autofree char *agent_rss = format_rss_split (&r->streaming);
          g_autofree char *bare_rss = format_rss_split (&r->bare);
          g_autofree char *waiting_rss = format_rss_split (&r->waiting);

          skew = format_number (r->clock_skew_ms, 2);
          g_string_append_printf (
              notes,
              "- %s: g2g p50 by presentationTime %.1f ms, expectedDisplayTime %.1f ms, "
              "callback time %.1f ms; %u switches in the window; page clock skew %s ms\n"
              "  - ms after the offer: answer stored %.0f, answer fetched by the page %.0f, "
              "ICE connected %.0f, DTLS connected %.0f, first frame %.0f\n",
              r->label, vsa_bench_quantile ((double *) r->latencies->data, r->latencies->len, 0.5),
              r->expected_p50, r->callback_p50, r->switches, skew, r->offer_to_answer_ms,
              r->answer_received_ms, r->ice_connected_ms, r->connected_ms, r->offer_to_frame_ms);
          g_string_append_printf (notes,
                                  "  - RSS at its peak: agent streaming %s; bare pipeline %s; "
                                  "agent waiting %s\n",
                                  agent_rss, bare_rss, waiting_rss);
        }
    }
  return g_string_free (notes, FALSE);
}

/* The first line of program --version, or "unknown". */
static char *
program_version (const char *program)
{
  const char *argv[] = { program, "--version", NULL };
  g_autoptr (GSubprocess) process = g_subprocess_newv (
      argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, NULL);
  g_autofree char *line = NULL;
  g_autoptr (GDataInputStream) output = NULL;

  if (process == NULL)
    return g_strdup ("unknown");
  if (!vsa_test_process_wait (process, 20000))
    {
      g_subprocess_force_exit (process);
      return g_strdup ("unknown");
    }
  output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  line = g_data_input_stream_read_line_utf8 (output, NULL, NULL, NULL);
  return line != NULL ? g_strdup (g_strstrip (line)) : g_strdup ("unknown");
}

static char *
cpu_model (void)
{
  g_autofree char *cpuinfo = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/cpuinfo", &cpuinfo, NULL, NULL)
      || (line = strstr (cpuinfo, "model name")) == NULL || (line = strchr (line, ':')) == NULL)
    return g_strdup ("unknown CPU");
  return g_strstrip (g_strndup (line + 1, strcspn (line + 1, "\n")));
}

char *
vsa_bench_machine_description (void)
{
  g_autofree char *cpu = cpu_model ();
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *date = g_date_time_format (now, "%Y-%m-%d %H:%M UTC");
  g_autofree char *gst = gst_version_string ();
  GString *text = g_string_new (NULL);
  struct utsname uts;

  uname (&uts);
  g_string_append_printf (text, "%s; %s, %u cores; Linux %s; %s", date, cpu,
                          g_get_num_processors (), uts.release, gst);
  for (VsaTestBrowser b = VSA_TEST_BROWSER_CHROMIUM; b <= VSA_TEST_BROWSER_FIREFOX; b++)
    {
      g_autofree char *program = vsa_test_browser_find (b);
      g_autofree char *version = program != NULL ? program_version (program) : NULL;

      if (version != NULL)
        g_string_append_printf (text, "; %s", version);
      else
        g_string_append_printf (text, "; %s not installed", vsa_test_browser_name (b));
    }
  return g_string_free (text, FALSE);
}

static char *
plot (VsaBenchResult *results, guint n_results)
{
  g_autoptr (GArray) series = g_array_new (FALSE, FALSE, sizeof (VsaBenchSeries));

  for (guint i = 0; i < n_results; i++)
    if (results[i].latencies != NULL)
      {
        VsaBenchSeries one = { results[i].label, (double *) results[i].latencies->data,
                               results[i].latencies->len };

        g_array_append_val (series, one);
      }
  return vsa_bench_plot_svg ("vm-stream-agent: glass-to-glass latency per configuration",
                             (VsaBenchSeries *) series->data, series->len);
}

gboolean
vsa_bench_replace_section (const char *begin_mark, const char *end_mark, const char *section,
                           GError **error)
{
  g_autofree char *path = g_build_filename (VSA_BENCH_SOURCE_ROOT, "BENCHMARKS.md", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *updated = NULL;
  char *begin, *end;

  if (!g_file_get_contents (path, &contents, NULL, error))
    return FALSE;
  begin = strstr (contents, begin_mark);
  end = begin != NULL ? strstr (begin, end_mark) : NULL;
  if (end == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: no %s ... %s section", path,
                   begin_mark, end_mark);
      return FALSE;
    }
  *begin = '\0';
  updated = g_strconcat (contents, begin_mark, "\n", section, end, NULL);
  return g_file_set_contents (path, updated, -1, error);
}

gboolean
vsa_bench_write_results (const char *section, VsaBenchResult *results, guint n_results,
                         GError **error)
{
  g_autofree char *svg_path
      = g_build_filename (VSA_BENCH_SOURCE_ROOT, "bench", "latency.svg", NULL);
  g_autofree char *svg = plot (results, n_results);

  return g_file_set_contents (svg_path, svg, -1, error)
         && vsa_bench_replace_section (RESULTS_BEGIN, RESULTS_END, section, error);
}

char *
vsa_bench_plan_description (const VsaBenchPlan *plan)
{
  return g_strdup_printf ("Windows: waiting %u s, streaming and bare pipeline %u s each, after "
                          "%u s to settle. Waiting: fast-poll-window=0 (steady state, a poll "
                          "every poll-interval); streaming: the agent's defaults.",
                          plan->waiting, plan->streaming, plan->settle);
}

char *
vsa_bench_results_section (const VsaBenchPlan *plan, VsaBenchResult *results, guint n_results)
{
  g_autofree char *machine = vsa_bench_machine_description ();
  g_autofree char *table = vsa_bench_results_table (results, n_results);
  g_autofree char *notes = vsa_bench_results_notes (results, n_results);
  g_autofree char *windows = vsa_bench_plan_description (plan);
  g_autoptr (GHashTable) commands = g_hash_table_new (g_str_hash, g_str_equal);
  GString *section = g_string_new (NULL);

  g_string_append_printf (section,
                          "Measured %s.\n\n%s\n\n%s\n"
                          "![glass-to-glass latency per configuration](bench/latency.svg)\n\n%s\n"
                          "Bare pipelines (`gst-launch-1.0`, from the agent's own elements):\n\n",
                          machine, windows, table, notes);
  for (guint i = 0; i < n_results; i++)
    if (results[i].bare_command != NULL && g_hash_table_add (commands, results[i].bare_command))
      g_string_append_printf (section, "```sh\n%s\n```\n", results[i].bare_command);
  return g_string_free (section, FALSE);
}
