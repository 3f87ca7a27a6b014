/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "vsa-test-controller.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* What both benchmarks (vsa-bench.c, vsa-bench-quality.c) do with the processes they run:
 * the agent, the browser, the bare pipeline. */

/* CPU (all threads) and RSS of a process over a window. */
typedef struct
{
  double cpu_percent; /* of one core */
  double peak_rss_mb;
  /* VmRSS at its peak, split: private memory, mapped files (mostly shared libraries'
   * pages, which other processes share), shared memory (the screen's MIT-SHM segments) */
  double anon_mb, file_mb, shmem_mb;
} VsaBenchUsage;

/* The process's CPU and peak RSS over seconds, serving the main context meanwhile. */
gboolean vsa_bench_measure_usage (GSubprocess *process, const char *what, guint seconds,
                                  VsaBenchUsage *usage, GError **error);

/* Serves the main context (the controller) for ms milliseconds. */
void vsa_bench_pause (guint ms);

/* Stops *process (may be NULL) and clears it; when failed, prints the end of its log. */
void vsa_bench_stop_process (GSubprocess **process, const char *log, gboolean failed);

/* The agent (argv, NULL-terminated), once it polled controller for an offer; its output
 * in log. */
GSubprocess *vsa_bench_start_agent (VsaTestController *controller, const char *const *argv,
                                    const char *log, GError **error);

/* Members of the page's JSON report, NULL-safe: an object, an array, a number (NAN when
 * absent or null, e.g. a NaN), an array's length (0 for none). */
JsonObject *vsa_bench_json_object (JsonObject *object, const char *name);
JsonArray *vsa_bench_json_array (JsonObject *object, const char *name);
double vsa_bench_json_double (JsonObject *object, const char *name);
guint vsa_bench_json_length (JsonArray *array);

G_END_DECLS
