/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "vsa-bench-run.h"
#include "vsa-test-browser.h"

#include <glib.h>

G_BEGIN_DECLS

/* One configuration of the bench, the windows it is measured over, and what it measured:
 * vsa-bench.c runs them, this prints and writes them. */

typedef struct
{
  guint width, height, fps;
  gboolean moving;
  VsaTestBrowser browser;
} VsaBenchSetup;

/* Window lengths, in seconds. */
typedef struct
{
  guint settle;    /* before each measurement, for start-up to pass */
  guint waiting;   /* the agent waiting for an offer */
  guint streaming; /* the agent streaming, and the bare pipeline */
} VsaBenchPlan;

typedef struct
{
  VsaBenchSetup setup;
  char *label;
  char *skipped; /* why it did not run, or NULL */
  char *failed;  /* why it stopped, or NULL */
  VsaBenchUsage waiting;
  double offer_to_fetch_ms, offer_to_answer_ms, offer_to_frame_ms;
  /* the page's steps between the answer and the first frame, ms after the offer */
  double answer_received_ms, ice_connected_ms, connected_ms;
  GArray *latencies; /* ms (presentationTime), sorted */
  double expected_p50, callback_p50;
  guint switches, missed;
  double fps, kbps;
  gint64 keyframes;
  VsaBenchUsage streaming;
  VsaBenchUsage bare;
  char *codec; /* as the page reports it: "video/H264" */
  char *bare_command;
  double clock_skew_ms;
} VsaBenchResult;

void vsa_bench_result_clear (VsaBenchResult *result);

/* The results as an aligned Markdown table, one row per configuration that ran. */
char *vsa_bench_results_table (VsaBenchResult *results, guint n_results);
/* The lines under the table: latency by each page timestamp, offer → frame step by step,
 * the RSS splits, and the configurations skipped or failed. */
char *vsa_bench_results_notes (VsaBenchResult *results, guint n_results);
char *vsa_bench_plan_description (const VsaBenchPlan *plan);
/* BENCHMARKS.md's results section: the machine, the windows, table, plot and notes, and
 * the bare pipelines' commands. */
char *vsa_bench_results_section (const VsaBenchPlan *plan, VsaBenchResult *results,
                                 guint n_results);
/* Rows (GPtrArrays of cells, the header first) as an aligned Markdown table (also plain
 * enough for a terminal); numbers right-aligned. */
char *vsa_bench_format_table (GPtrArray *rows);
/* The date, CPU, kernel, GStreamer and browsers' versions, on one line. */
char *vsa_bench_machine_description (void);
/* Replaces what BENCHMARKS.md has between the lines begin_mark and end_mark. */
gboolean vsa_bench_replace_section (const char *begin_mark, const char *end_mark,
                                    const char *section, GError **error);
/* Replaces BENCHMARKS.md's results section with section and draws bench/latency.svg. */
gboolean vsa_bench_write_results (const char *section, VsaBenchResult *results, guint n_results,
                                  GError **error);

G_END_DECLS
