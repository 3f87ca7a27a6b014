/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "vsa-test-controller.h"

G_BEGIN_DECLS

/* Browsers (headless, or windowed on an X display) on the viewer page, for the e2e tests and the
 * benchmark. */
typedef enum
{
  VSA_TEST_BROWSER_CHROMIUM,
  VSA_TEST_BROWSER_FIREFOX,
} VsaTestBrowser;

/* "chromium" or "firefox-esr". */
const char *vsa_test_browser_name (VsaTestBrowser browser);
/* The browser's program, or NULL when it is not installed. */
char *vsa_test_browser_find (VsaTestBrowser browser);

/* A headless browser (program, of kind browser) on url, with a fresh profile and HOME
 * under dir so that nothing is written outside it, and its output in log_path. With
 * hide_host_addresses its host candidates are mDNS names, as browsers give them by
 * default; without, plain addresses (the agent cannot resolve .local names).
 * ICE needs nothing else in the namespace: browsers gather host candidates on the
 * interface of the default route (it has one there). */
GSubprocess *vsa_test_browser_start (VsaTestBrowser browser, const char *program, const char *url,
                                     const char *dir, gboolean hide_host_addresses,
                                     const char *log_path, GError **error);

/* The same browser with a window on X display (":N"): Chromium as an app window of width
 * x height at 0,0, Firefox in kiosk mode (the whole screen). Host addresses are plain.
 * Chromium listens for DevTools on 127.0.0.1 (vsa_test_cdp_connect() on dir/profile). */
GSubprocess *vsa_test_browser_start_windowed (VsaTestBrowser browser, const char *program,
                                              const char *url, const char *dir, const char *display,
                                              guint width, guint height, const char *log_path,
                                              GError **error);

/* Prints the last max_bytes of a log file to stderr. */
void vsa_test_print_log_tail (const char *log_path, gsize max_bytes);

/* Removes path and everything under it; FALSE if path itself is left. */
gboolean vsa_test_rm_rf (const char *path);

typedef gboolean (*VsaTestReportCheck) (JsonObject *report, gpointer user_data);

/* Waits at most timeout_ms for the page's latest report id to pass check. Gives up early
 * when agent (may be NULL) exits or the page reports phase "failed". *last_report (may be
 * NULL) gets the last report seen, or NULL. */
gboolean vsa_test_wait_for_report (VsaTestController *controller, const char *id,
                                   GSubprocess *agent, VsaTestReportCheck check, gpointer user_data,
                                   guint timeout_ms, JsonNode **last_report, GError **error);

/* Most of the points the viewer page samples in its latest frame ("colors") show rgb, give
 * or take what colour conversion and compression change: the X pointer may cover one. */
gboolean vsa_test_report_shows_color (JsonObject *report, const guint8 rgb[3]);

G_END_DECLS
