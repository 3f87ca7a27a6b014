/* End to end: Xvfb showing a solid colour, the agent capturing it, the fake controller
 * serving the viewer page, and a headless browser (Chromium, Firefox) playing the
 * frontend. Passes when the page decodes frames of the screen's colour, and then of a new
 * colour, in the codec the agent must have chosen. A browser's cases are skipped when it
 * is not installed.
 *
 * Runs under tests/netns-run: all traffic stays on loopback and vsa0 (198.18.0.1).
 * Needs: xvfb, x11-xserver-utils (xsetroot), chromium and/or firefox-esr. */

#include "vsa-test-controller.h"
#include "vsa-test-util.h"

#include <gio/gio.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

/* ---- Helpers for browser tests. ---- */

static gboolean
flag_is_set (gpointer user_data)
{
  return *(gboolean *) user_data;
}

/* The program at preferred if it is executable, else name found in PATH, else NULL. */
static char *
vsa_test_find_program (const char *name, const char *preferred)
{
  if (preferred != NULL && g_file_test (preferred, G_FILE_TEST_IS_EXECUTABLE))
    return g_strdup (preferred);
  return g_find_program_in_path (name);
}

static void
child_setup (gpointer user_data)
{
  /* No orphans if the test dies without its teardown. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

typedef struct
{
  const char *name;
  const char *value;
} VsaTestEnv;

/* A child the test owns, with the test's environment plus env (ending with a NULL name;
 * env may be NULL). Its stdout and stderr go to log_path when given, else to the test's
 * stderr (never to stdout, which carries TAP). */
static GSubprocess *
vsa_test_spawn (const char *const *argv, const VsaTestEnv *env, const char *log_path,
                GError **error)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autofree char *command = g_strjoinv (" ", (char **) argv);

  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  for (gsize i = 0; env != NULL && env[i].name != NULL; i++)
    g_subprocess_launcher_setenv (launcher, env[i].name, env[i].value, TRUE);
  if (log_path != NULL)
    {
      g_subprocess_launcher_set_flags (launcher, G_SUBPROCESS_FLAGS_STDERR_MERGE);
      g_subprocess_launcher_set_stdout_file_path (launcher, log_path);
    }
  else
    {
      int fd = dup (STDERR_FILENO);

      if (fd < 0)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "dup: %s",
                       g_strerror (errno));
          return NULL;
        }
      g_subprocess_launcher_take_stdout_fd (launcher, fd);
    }
  g_test_message ("starting: %s", command);
  return g_subprocess_launcher_spawnv (launcher, argv, error);
}

static void
wait_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *(gboolean *) user_data = TRUE;
}

/* Waits at most timeout_ms for the child to exit; TRUE if it has. */
static gboolean
vsa_test_process_wait (GSubprocess *process, guint timeout_ms)
{
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  gboolean exited = FALSE;

  g_subprocess_wait_async (process, cancellable, wait_cb, &exited);
  if (!vsa_test_wait_until (flag_is_set, &exited, timeout_ms))
    {
      g_cancellable_cancel (cancellable);
      /* The cancelled wait still calls back; &exited must outlive it. */
      vsa_test_wait_until (flag_is_set, &exited, 1000);
      return FALSE;
    }
  return TRUE;
}

static gboolean
vsa_test_process_is_running (GSubprocess *process)
{
  return g_subprocess_get_identifier (process) != NULL;
}

/* SIGTERM, then SIGKILL after timeout_ms. */
static void
vsa_test_process_stop (GSubprocess *process, guint timeout_ms)
{
  if (process == NULL || !vsa_test_process_is_running (process))
    return;
  g_subprocess_send_signal (process, SIGTERM);
  if (vsa_test_process_wait (process, timeout_ms))
    return;
  g_test_message ("%s did not stop on SIGTERM, killing it", g_subprocess_get_identifier (process));
  g_subprocess_force_exit (process);
  vsa_test_process_wait (process, 2000);
}

/* Runs argv to completion within timeout_ms; FALSE unless it exits 0. */
static gboolean
vsa_test_run (const char *const *argv, guint timeout_ms, GError **error)
{
  g_autoptr (GSubprocess) process = vsa_test_spawn (argv, NULL, NULL, error);

  if (process == NULL)
    return FALSE;
  if (!vsa_test_process_wait (process, timeout_ms))
    {
      vsa_test_process_stop (process, 1000);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "%s did not finish in %u ms", argv[0],
                   timeout_ms);
      return FALSE;
    }
  return g_spawn_check_wait_status (g_subprocess_get_status (process), error);
}

static gboolean
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

typedef struct
{
  GSubprocess *process;
  char *display; /* ":N" */
} VsaTestXvfb;

static void
vsa_test_xvfb_free (VsaTestXvfb *self)
{
  if (self == NULL)
    return;
  vsa_test_process_stop (self->process, 5000);
  g_clear_object (&self->process);
  g_free (self->display);
  g_free (self);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsaTestXvfb, vsa_test_xvfb_free)

typedef struct
{
  GSubprocess *process;
  const char *socket;
} XvfbStart;

static gboolean
xvfb_ready_or_dead (gpointer user_data)
{
  XvfbStart *start = user_data;

  return g_file_test (start->socket, G_FILE_TEST_EXISTS)
         || !vsa_test_process_is_running (start->process);
}

/* Xvfb on the first free display from :99, with -noreset so that the screen keeps
 * what xsetroot painted when xsetroot disconnects. */
static VsaTestXvfb *
vsa_test_xvfb_start (guint width, guint height, GError **error)
{
  g_autofree char *screen = g_strdup_printf ("%ux%ux24", width, height);

  for (guint n = 99; n < 140; n++)
    {
      g_autofree char *display = g_strdup_printf (":%u", n);
      g_autofree char *socket = g_strdup_printf ("/tmp/.X11-unix/X%u", n);
      g_autofree char *lock = g_strdup_printf ("/tmp/.X%u-lock", n);
      const char *argv[]
          = { "Xvfb", display, "-screen", "0", screen, "-nolisten", "tcp", "-noreset", NULL };
      g_autoptr (VsaTestXvfb) xvfb = NULL;
      XvfbStart start = { NULL, socket };

      if (g_file_test (socket, G_FILE_TEST_EXISTS) || g_file_test (lock, G_FILE_TEST_EXISTS))
        continue;
      xvfb = g_new0 (VsaTestXvfb, 1);
      xvfb->display = g_steal_pointer (&display);
      xvfb->process = vsa_test_spawn (argv, NULL, NULL, error);
      if (xvfb->process == NULL)
        return NULL;
      start.process = xvfb->process;
      if (!vsa_test_wait_until (xvfb_ready_or_dead, &start, 10000))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "Xvfb %s: no %s after 10 s",
                       xvfb->display, socket);
          return NULL;
        }
      if (vsa_test_process_is_running (xvfb->process))
        return g_steal_pointer (&xvfb);
      /* Lost a race for this display with someone else: try the next one. */
    }
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Xvfb: no free display");
  return NULL;
}

/* Paints the root window, e.g. "#ff0000". */
static gboolean
vsa_test_xvfb_set_color (VsaTestXvfb *self, const char *color, GError **error)
{
  const char *argv[] = { "xsetroot", "-display", self->display, "-solid", color, NULL };

  return vsa_test_run (argv, 10000, error);
}

/* Headless Chromium on url with a fresh profile in profile_dir; output in log_path. */
static GSubprocess *
vsa_test_chromium_start (const char *chromium, const char *url, const char *profile_dir,
                         const char *log_path, GError **error)
{
  g_autofree char *user_data_dir = g_strdup_printf ("--user-data-dir=%s", profile_dir);
  const char *argv[] = {
    chromium,
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    user_data_dir,
    "--autoplay-policy=no-user-gesture-required",
    /* Host candidates as plain addresses: the agent cannot resolve .local names. */
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    url,
    NULL,
  };

  return vsa_test_spawn (argv, NULL, log_path, error);
}

/* Preferences of the test's Firefox profile, as user.js (name, JavaScript value) pairs. */
static const char *const firefox_prefs[][2] = {
  /* Host candidates as plain addresses: the agent cannot resolve .local names. (Without
   * this the session still connects, through peer-reflexive candidates.) */
  { "media.peerconnection.ice.obfuscate_host_addresses", "false" },
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

/* Headless Firefox on url with a fresh profile in profile_dir (created, with a user.js)
 * and home_dir as its HOME, so that nothing is written outside the test's directory;
 * output in log_path. ICE needs no preference in the namespace: Firefox gathers host
 * candidates only on the interface of the default route (it has one there). */
static GSubprocess *
vsa_test_firefox_start (const char *firefox, const char *url, const char *profile_dir,
                        const char *home_dir, const char *log_path, GError **error)
{
  g_autoptr (GString) user_js = g_string_new ("// Written by the vm-stream-agent e2e test.\n");
  g_autofree char *user_js_path = g_build_filename (profile_dir, "user.js", NULL);
  g_autofree char *cache_dir = g_build_filename (home_dir, ".cache", NULL);
  g_autofree char *config_dir = g_build_filename (home_dir, ".config", NULL);
  const VsaTestEnv env[] = {
    { "HOME", home_dir },
    { "XDG_CACHE_HOME", cache_dir },
    { "XDG_CONFIG_HOME", config_dir },
    { "MOZ_CRASHREPORTER_DISABLE", "1" },
    { "MOZ_REMOTE_SETTINGS_DEVTOOLS", "1" },
    /* meson's fatal-criticals is for the test, not for GTK inside the browser */
    { "G_DEBUG", "" },
    { NULL, NULL },
  };
  const char *const dirs[] = { profile_dir, home_dir };
  const char *argv[] = {
    firefox, "--headless", "--no-remote", "--profile", profile_dir, url, NULL,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (firefox_prefs); i++)
    g_string_append_printf (user_js, "user_pref(\"%s\", %s);\n", firefox_prefs[i][0],
                            firefox_prefs[i][1]);
  for (gsize i = 0; i < G_N_ELEMENTS (dirs); i++)
    if (g_mkdir_with_parents (dirs[i], 0700) != 0)
      {
        int saved_errno = errno;

        g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "%s: %s", dirs[i],
                     g_strerror (saved_errno));
        return NULL;
      }
  if (!g_file_set_contents (user_js_path, user_js->str, (gssize) user_js->len, error))
    return NULL;
  return vsa_test_spawn (argv, env, log_path, error);
}

/* Prints the end of a log file into the test's output. */
static void
vsa_test_print_log_tail (const char *log_path, gsize max_bytes)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (!g_file_get_contents (log_path, &contents, &length, NULL))
    return;
  g_printerr ("---- last %" G_GSIZE_FORMAT " bytes of %s ----\n%s\n----\n", MIN (length, max_bytes),
              log_path, contents + length - MIN (length, max_bytes));
}

/* What the viewer page reports: see data/viewer/index.html. */
typedef struct
{
  VsaTestController *controller;
  const char *report_id;
  GSubprocess *agent;
  gint64 min_frames;
  guint8 rgb[3];
  const char *codec; /* the mimeType the page must decode, e.g. "video/VP8" */
  JsonNode *last_report;
  const char *failure; /* why the wait gave up early, or NULL */
} VsaTestReportWait;

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

/* Most sample points show rgb: the X pointer may cover the centre. */
static gboolean
report_shows_color (JsonObject *report, const guint8 rgb[3])
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

static gboolean
report_wait_done (gpointer user_data)
{
  VsaTestReportWait *wait = user_data;
  JsonObject *report;

  g_clear_pointer (&wait->last_report, json_node_unref);
  wait->last_report = vsa_test_controller_dup_report (wait->controller, wait->report_id);
  if (wait->agent != NULL && !vsa_test_process_is_running (wait->agent))
    {
      wait->failure = "the agent exited";
      return TRUE;
    }
  if (wait->last_report == NULL)
    return FALSE;
  report = json_node_get_object (wait->last_report);
  if (g_strcmp0 (json_object_get_string_member_with_default (report, "phase", ""), "failed") == 0)
    {
      wait->failure = "the page failed";
      return TRUE;
    }
  return json_object_get_int_member_with_default (report, "frames", 0) >= wait->min_frames
         && report_shows_color (report, wait->rgb)
         && g_ascii_strcasecmp (json_object_get_string_member_with_default (report, "codec", ""),
                                wait->codec)
                == 0;
}

/* Waits for the page to report min_frames decoded frames showing rgb; prints the last
 * report either way (it holds the page's timings). */
static gboolean
vsa_test_wait_for_report (VsaTestReportWait *wait, guint timeout_ms)
{
  g_autofree char *last = NULL;
  gboolean done;

  wait->failure = NULL;
  done = vsa_test_wait_until (report_wait_done, wait, timeout_ms) && wait->failure == NULL;
  last = wait->last_report != NULL ? json_to_string (wait->last_report, FALSE) : NULL;
  g_clear_pointer (&wait->last_report, json_node_unref);
  g_test_message ("%s; last report: %s",
                  done            ? "done"
                  : wait->failure ? wait->failure
                                  : "timed out",
                  last ? last : "none");
  return done;
}

/* ---- The test. ---- */

typedef struct
{
  char *tmp_dir;
  VsaTestXvfb *xvfb;
  VsaTestController *controller;
  GSubprocess *agent;
  GSubprocess *browser;
  char *browser_log;
} Fixture;

static void
fixture_set_up (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;

  fixture->tmp_dir = g_dir_make_tmp ("vsa-e2e-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->browser_log = g_build_filename (fixture->tmp_dir, "browser.log", NULL);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer user_data)
{
  /* The browser first, so that the agent sees the peer leave; the screen last. */
  vsa_test_process_stop (fixture->browser, 5000);
  if (fixture->browser != NULL && g_test_failed ())
    vsa_test_print_log_tail (fixture->browser_log, 4000);
  g_clear_object (&fixture->browser);
  vsa_test_process_stop (fixture->agent, 5000);
  g_clear_object (&fixture->agent);
  g_clear_pointer (&fixture->controller, vsa_test_controller_free);
  g_clear_pointer (&fixture->xvfb, vsa_test_xvfb_free);
  vsa_test_rm_rf (fixture->tmp_dir);
  g_clear_pointer (&fixture->tmp_dir, g_free);
  g_clear_pointer (&fixture->browser_log, g_free);
}

typedef enum
{
  BROWSER_CHROMIUM,
  BROWSER_FIREFOX,
} Browser;

/* One frontend flow in one browser: the viewer page's query (see data/viewer/index.html). */
typedef struct
{
  const char *path;
  Browser browser;
  const char *query;
  const char *codec; /* what the agent must send: its default preference, or the forced one */
} E2eCase;

/* The browser's program, or NULL when it is not installed. */
static char *
find_browser (Browser browser)
{
  char *program = NULL;

  switch (browser)
    {
    case BROWSER_CHROMIUM:
      program = vsa_test_find_program ("chromium", "/usr/bin/chromium");
      break;
    case BROWSER_FIREFOX:
      program = vsa_test_find_program ("firefox-esr", NULL);
      if (program == NULL)
        program = vsa_test_find_program ("firefox", NULL);
      break;
    }
  return program;
}

static GSubprocess *
start_browser (Fixture *fixture, Browser browser, const char *program, const char *page,
               GError **error)
{
  g_autofree char *profile = g_build_filename (fixture->tmp_dir, "profile", NULL);
  g_autofree char *home = NULL;

  switch (browser)
    {
    case BROWSER_CHROMIUM:
      return vsa_test_chromium_start (program, page, profile, fixture->browser_log, error);
    case BROWSER_FIREFOX:
      home = g_build_filename (fixture->tmp_dir, "home", NULL);
      return vsa_test_firefox_start (program, page, profile, home, fixture->browser_log, error);
    }
  g_return_val_if_reached (NULL);
}

static double
seconds_since (gint64 start_us)
{
  return (double) (g_get_monotonic_time () - start_us) / G_USEC_PER_SEC;
}

static void
test_browser (Fixture *fixture, gconstpointer user_data)
{
  const E2eCase *e2e_case = user_data;
  const char *agent_bin = g_getenv ("VSA_AGENT_BIN");
  const char *viewer_dir = g_getenv ("VSA_VIEWER_DIR");
  g_autofree char *browser = find_browser (e2e_case->browser);
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *page = NULL;
  VsaTestReportWait wait = { .report_id = "e2e", .min_frames = 30, .rgb = { 255, 0, 0 } };
  gint64 start;

  if (browser == NULL)
    {
      g_test_skip (e2e_case->browser == BROWSER_FIREFOX ? "firefox-esr is not installed"
                                                        : "chromium is not installed");
      return;
    }
  if (agent_bin == NULL || viewer_dir == NULL)
    {
      g_test_fail_printf ("VSA_AGENT_BIN and VSA_VIEWER_DIR must be set (meson test does)");
      return;
    }

  fixture->xvfb = vsa_test_xvfb_start (1280, 720, &error);
  if (fixture->xvfb == NULL || !vsa_test_xvfb_set_color (fixture->xvfb, "#ff0000", &error))
    {
      g_test_fail_printf ("X server: %s", error->message);
      return;
    }

  fixture->controller = vsa_test_controller_new ("127.0.0.1", 0, viewer_dir, &error);
  if (fixture->controller == NULL)
    {
      g_test_fail_printf ("controller: %s", error->message);
      return;
    }
  url = vsa_test_controller_get_url (fixture->controller);

  {
    const char *argv[] = { agent_bin,
                           "--session-id",
                           "e2e",
                           "--controller-url",
                           url,
                           "--display",
                           fixture->xvfb->display,
                           "--source",
                           "x11",
                           "--verbose",
                           NULL };

    fixture->agent = vsa_test_spawn (argv, NULL, NULL, &error);
    if (fixture->agent == NULL)
      {
        g_test_fail_printf ("agent: %s", error->message);
        return;
      }
  }

  page = g_strdup_printf ("%s/?session=e2e&report=1%s", url, e2e_case->query);
  start = g_get_monotonic_time ();
  fixture->browser = start_browser (fixture, e2e_case->browser, browser, page, &error);
  if (fixture->browser == NULL)
    {
      g_test_fail_printf ("%s: %s", browser, error->message);
      return;
    }

  wait.codec = e2e_case->codec;
  wait.controller = fixture->controller;
  wait.agent = fixture->agent;
  if (!vsa_test_wait_for_report (&wait, 45000))
    {
      g_test_fail_printf ("no %" G_GINT64_FORMAT " red %s frames within 45 s", wait.min_frames,
                          wait.codec);
      return;
    }
  g_test_message ("%" G_GINT64_FORMAT " red %s frames %.1f s after the browser started; "
                  "answers posted: %u",
                  wait.min_frames, wait.codec, seconds_since (start),
                  vsa_test_controller_get_answer_count (fixture->controller, "e2e"));

  /* Live frames, not one stale picture: the page must follow a change of the screen. */
  if (!vsa_test_xvfb_set_color (fixture->xvfb, "#0000ff", &error))
    {
      g_test_fail_printf ("xsetroot: %s", error->message);
      return;
    }
  start = g_get_monotonic_time ();
  wait.rgb[0] = 0;
  wait.rgb[2] = 255;
  if (!vsa_test_wait_for_report (&wait, 10000))
    g_test_fail_printf ("the page did not turn blue within 10 s");
  else
    g_test_message ("blue %.1f s after the screen changed", seconds_since (start));
}

int
main (int argc, char **argv)
{
  static const E2eCase cases[] = {
    { "/vsa/e2e/chromium-early", BROWSER_CHROMIUM, "", "video/H264" },
    { "/vsa/e2e/chromium-viewer", BROWSER_CHROMIUM, "&flow=viewer", "video/H264" },
    { "/vsa/e2e/chromium-vp8", BROWSER_CHROMIUM, "&codec=VP8", "video/VP8" },
    { "/vsa/e2e/chromium-vp9", BROWSER_CHROMIUM, "&codec=VP9", "video/VP9" },
    /* The dashboard's offer, then the viewer's: the agent must answer the second. */
    { "/vsa/e2e/chromium-double", BROWSER_CHROMIUM, "&flow=double", "video/H264" },
    /* Firefox without OpenH264 offers VP8 (PT 120), VP9 (121) and AV1, no H264: the
     * default preference h264,vp8,vp9 falls to VP8. */
    { "/vsa/e2e/firefox-early", BROWSER_FIREFOX, "", "video/VP8" },
    { "/vsa/e2e/firefox-viewer", BROWSER_FIREFOX, "&flow=viewer", "video/VP8" },
    { "/vsa/e2e/firefox-vp9", BROWSER_FIREFOX, "&codec=VP9", "video/VP9" },
    { "/vsa/e2e/firefox-double", BROWSER_FIREFOX, "&flow=double", "video/VP8" },
  };

  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    g_test_add (cases[i].path, Fixture, &cases[i], fixture_set_up, test_browser, fixture_tear_down);
  return g_test_run ();
}
