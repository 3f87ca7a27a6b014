/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Headless browsers for the e2e tests and the benchmark: see vsa-test-browser.h. */

#include "vsa-test-browser.h"

#include "vsa-test-util.h"

#include <errno.h>
#include <glib/gstdio.h>

/* The program at preferred if it is executable, else name found in PATH, else NULL. */
static char *
find_program (const char *name, const char *preferred)
{
  if (preferred != NULL && g_file_test (preferred, G_FILE_TEST_IS_EXECUTABLE))
    return g_strdup (preferred);
  return g_find_program_in_path (name);
}

const char *
vsa_test_browser_name (VsaTestBrowser browser)
{
  return browser == VSA_TEST_BROWSER_CHROMIUM ? "chromium" : "firefox-esr";
}

char *
vsa_test_browser_find (VsaTestBrowser browser)
{
  char *program = NULL;

  switch (browser)
    {
    case VSA_TEST_BROWSER_CHROMIUM:
      program = find_program ("chromium", "/usr/bin/chromium");
      break;
    case VSA_TEST_BROWSER_FIREFOX:
      program = find_program ("firefox-esr", NULL);
      if (program == NULL)
        program = find_program ("firefox", NULL);
      break;
    }
  return program;
}

gboolean
vsa_test_rm_rf (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        vsa_test_rm_rf (child);
      else
        g_unlink (child);
    }
  return g_remove (path) == 0;
}

/* Preferences of the test's Firefox profile, as user.js (name, JavaScript value) pairs. */
static const char *const firefox_prefs[][2] = {
  /* Play the (muted) video without a user gesture, ask for no permission. */
  { "media.autoplay.default", "0" },
  { "media.autoplay.blocking_policy", "0" },
  { "media.navigator.permission.disabled", "true" },
  /* No OpenH264 download: Firefox then offers no H264, as on a fresh offline profile. */
  { "media.gmp-manager.updateEnabled", "false" },
  { "media.gmp-gmpopenh264.enabled", "false" },
  /* No first-run pages or dialogs. */
  { "browser.shell.checkDefaultBrowser", "false" },
  { "browser.startup.homepage_override.mstone", "\"ignore\"" },
  { "browser.aboutwelcome.enabled", "false" },
  { "browser.sessionstore.resume_from_crash", "false" },
  { "browser.tabs.warnOnClose", "false" },
  /* No telemetry: the Glean port -1 fakes the uploads instead of sending them. */
  { "datareporting.policy.dataSubmissionEnabled", "false" },
  { "datareporting.healthreport.uploadEnabled", "false" },
  { "toolkit.telemetry.reportingpolicy.firstRun", "false" },
  { "toolkit.telemetry.enabled", "false" },
  { "toolkit.telemetry.unified", "false" },
  { "toolkit.telemetry.server", "\"\"" },
  { "telemetry.fog.test.localhost_port", "-1" },
  /* No updates, studies or add-on traffic. */
  { "app.update.disabledForTesting", "true" },
  { "app.normandy.enabled", "false" },
  { "app.shield.optoutstudies.enabled", "false" },
  { "extensions.update.enabled", "false" },
  { "extensions.getAddons.cache.enabled", "false" },
  { "extensions.blocklist.enabled", "false" },
  /* Remote settings from nowhere (honoured with MOZ_REMOTE_SETTINGS_DEVTOOLS=1). */
  { "services.settings.server", "\"data:,#remote-settings-dummy/v1\"" },
  /* No network probes or background connections. */
  { "network.captive-portal-service.enabled", "false" },
  { "network.connectivity-service.enabled", "false" },
  { "network.trr.mode", "5" },
  { "network.dns.disablePrefetch", "true" },
  { "network.prefetch-next", "false" },
  { "network.http.speculative-parallel-limit", "0" },
  { "dom.push.connection.enabled", "false" },
  { "browser.safebrowsing.malware.enabled", "false" },
  { "browser.safebrowsing.phishing.enabled", "false" },
  { "browser.safebrowsing.blockedURIs.enabled", "false" },
  { "browser.safebrowsing.downloads.enabled", "false" },
  { "browser.safebrowsing.downloads.remote.enabled", "false" },
  { "browser.safebrowsing.update.enabled", "false" },
  { "browser.region.network.url", "\"\"" },
  { "browser.region.update.enabled", "false" },
  { "browser.search.update", "false" },
  { "geo.provider.network.url", "\"\"" },
  { "identity.fxaccounts.enabled", "false" },
  { "browser.newtabpage.enabled", "false" },
  { "browser.topsites.contile.enabled", "false" },
  { "browser.newtabpage.activity-stream.feeds.system.topstories", "false" },
};

/* Makes each directory (and its parents). */
static gboolean
mkdirs (const char *const *dirs, GError **error)
{
  for (gsize i = 0; dirs[i] != NULL; i++)
    if (g_mkdir_with_parents (dirs[i], 0700) != 0)
      {
        int saved_errno = errno;

        g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "%s: %s", dirs[i],
                     g_strerror (saved_errno));
        return FALSE;
      }
  return TRUE;
}

/* display: NULL for a headless browser, else the X display of its window (width x
 * height at 0,0). */
static GSubprocess *
browser_start (VsaTestBrowser browser, const char *program, const char *url, const char *dir,
               gboolean hide_host_addresses, const char *display, guint width, guint height,
               const char *log_path, GError **error)
{
  g_autofree char *profile = g_build_filename (dir, "profile", NULL);
  g_autofree char *home = g_build_filename (dir, "home", NULL);
  g_autofree char *cache = g_build_filename (home, ".cache", NULL);
  g_autofree char *config = g_build_filename (home, ".config", NULL);
  g_autofree char *user_data_dir = g_strdup_printf ("--user-data-dir=%s", profile);
  const char *const dirs[] = { profile, cache, config, NULL };
  const VsaTestEnv env[] = {
    { "HOME", home },
    { "XDG_CACHE_HOME", cache },
    { "XDG_CONFIG_HOME", config },
    { "MOZ_CRASHREPORTER_DISABLE", "1" },
    { "MOZ_REMOTE_SETTINGS_DEVTOOLS", "1" },
    /* meson's fatal-criticals is for the test, not for GTK inside the browser */
    { "G_DEBUG", "" },
    { display != NULL ? "DISPLAY" : NULL, display },
    { NULL, NULL },
  };
  static const char *const chromium_flags[] = {
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-breakpad",
    "--autoplay-policy=no-user-gesture-required",
    "--password-store=basic",
  };
  g_autofree char *window_size = g_strdup_printf ("--window-size=%u,%u", width, height);
  g_autofree char *app = g_strconcat ("--app=", url, NULL);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GString) user_js = g_string_new ("// Written by the vm-stream-agent e2e test.\n");
  g_autofree char *user_js_path = g_build_filename (profile, "user.js", NULL);

  if (!mkdirs (dirs, error))
    return NULL;
  g_ptr_array_add (argv, (char *) program);
  switch (browser)
    {
    case VSA_TEST_BROWSER_CHROMIUM:
      for (gsize i = 0; i < G_N_ELEMENTS (chromium_flags); i++)
        g_ptr_array_add (argv, (char *) chromium_flags[i]);
      g_ptr_array_add (argv, user_data_dir);
      if (!hide_host_addresses)
        g_ptr_array_add (argv, "--disable-features=WebRtcHideLocalIpsWithMdns");
      if (display == NULL)
        g_ptr_array_add (argv, "--headless=new");
      else
        {
          /* no "unsupported flag" bar (--no-sandbox) over a page seen on the screen */
          g_ptr_array_add (argv, "--test-type");
          /* DevTools on a port of its own (vsa-test-cdp.h): touch, the page's state */
          g_ptr_array_add (argv, "--remote-debugging-port=0");
          g_ptr_array_add (argv, window_size);
          g_ptr_array_add (argv, "--window-position=0,0");
          g_ptr_array_add (argv, app);
          url = NULL; /* the app window's */
        }
      break;
    case VSA_TEST_BROWSER_FIREFOX:
      for (gsize i = 0; i < G_N_ELEMENTS (firefox_prefs); i++)
        g_string_append_printf (user_js, "user_pref(\"%s\", %s);\n", firefox_prefs[i][0],
                                firefox_prefs[i][1]);
      g_string_append_printf (user_js,
                              "user_pref(\"media.peerconnection.ice.obfuscate_host_addresses\","
                              " %s);\n",
                              hide_host_addresses ? "true" : "false");
      if (!g_file_set_contents (user_js_path, user_js->str, (gssize) user_js->len, error))
        return NULL;
      g_ptr_array_add (argv, display == NULL ? "--headless" : "--kiosk");
      g_ptr_array_add (argv, "--no-remote");
      g_ptr_array_add (argv, "--profile");
      g_ptr_array_add (argv, profile);
      break;
    }
  if (url != NULL)
    g_ptr_array_add (argv, (char *) url);
  g_ptr_array_add (argv, NULL);
  return vsa_test_spawn ((const char *const *) argv->pdata, env, log_path, error);
}

GSubprocess *
vsa_test_browser_start (VsaTestBrowser browser, const char *program, const char *url,
                        const char *dir, gboolean hide_host_addresses, const char *log_path,
                        GError **error)
{
  return browser_start (browser, program, url, dir, hide_host_addresses, NULL, 0, 0, log_path,
                        error);
}

GSubprocess *
vsa_test_browser_start_windowed (VsaTestBrowser browser, const char *program, const char *url,
                                 const char *dir, const char *display, guint width, guint height,
                                 const char *log_path, GError **error)
{
  return browser_start (browser, program, url, dir, FALSE, display, width, height, log_path, error);
}

void
vsa_test_print_log_tail (const char *log_path, gsize max_bytes)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (!g_file_get_contents (log_path, &contents, &length, NULL))
    return;
  g_printerr ("---- last %" G_GSIZE_FORMAT " bytes of %s ----\n%s\n----\n", MIN (length, max_bytes),
              log_path, contents + length - MIN (length, max_bytes));
}

typedef struct
{
  VsaTestController *controller;
  const char *id;
  GSubprocess *agent;
  VsaTestReportCheck check;
  gpointer user_data;
  JsonNode *last_report;
  const char *failure; /* why the wait gave up early, or NULL */
} ReportWait;

static gboolean
report_wait_done (gpointer user_data)
{
  ReportWait *wait = user_data;
  JsonObject *report;

  g_clear_pointer (&wait->last_report, json_node_unref);
  wait->last_report = vsa_test_controller_dup_report (wait->controller, wait->id);
  if (wait->agent != NULL && !vsa_test_process_is_running (wait->agent))
    {
      wait->failure = "the agent exited";
      return TRUE;
    }
  if (wait->last_report == NULL || !JSON_NODE_HOLDS_OBJECT (wait->last_report))
    return FALSE;
  report = json_node_get_object (wait->last_report);
  if (g_strcmp0 (json_object_get_string_member_with_default (report, "phase", ""), "failed") == 0)
    {
      wait->failure = "the page failed";
      return TRUE;
    }
  return wait->check (report, wait->user_data);
}

gboolean
vsa_test_wait_for_report (VsaTestController *controller, const char *id, GSubprocess *agent,
                          VsaTestReportCheck check, gpointer user_data, guint timeout_ms,
                          JsonNode **last_report, GError **error)
{
  ReportWait wait = { controller, id, agent, check, user_data, NULL, NULL };
  gboolean done = vsa_test_wait_until (report_wait_done, &wait, timeout_ms);

  if (last_report != NULL)
    *last_report = g_steal_pointer (&wait.last_report);
  g_clear_pointer (&wait.last_report, json_node_unref);
  if (done && wait.failure == NULL)
    return TRUE;
  g_set_error_literal (error, G_IO_ERROR, done ? G_IO_ERROR_FAILED : G_IO_ERROR_TIMED_OUT,
                       done ? wait.failure : "timed out");
  return FALSE;
}

static gboolean
color_is_close (JsonArray *color, const guint8 rgb[3])
{
  const gint64 tolerance = 64; /* colour conversion and compression move values a little */

  if (color == NULL || json_array_get_length (color) != 3)
    return FALSE;
  for (guint i = 0; i < 3; i++)
    if (ABS (json_array_get_int_element (color, i) - rgb[i]) > tolerance)
      return FALSE;
  return TRUE;
}

gboolean
vsa_test_report_shows_color (JsonObject *report, const guint8 rgb[3])
{
  JsonNode *node = json_object_get_member (report, "colors");
  JsonArray *colors
      = node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
  guint close = 0;

  for (guint i = 0; colors != NULL && i < json_array_get_length (colors); i++)
    {
      JsonNode *color = json_array_get_element (colors, i);

      if (JSON_NODE_HOLDS_ARRAY (color) && color_is_close (json_node_get_array (color), rgb))
        close++;
    }
  return colors != NULL && close * 2 > json_array_get_length (colors);
}
