/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for vsa-config: flags, environment, key file, defaults and their precedence. */

#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vsa-config.h"
#include "vsa-test-util.h"

#define ENV_SESSION "env-session"
#define ENV_URL "http://env.example:4000"

/* A temporary file that is unlinked when it goes out of scope. */
typedef char TestTmpPath;

static void
test_tmp_path_free (TestTmpPath *path)
{
  if (path == NULL)
    return;
  g_unlink (path);
  g_free (path);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestTmpPath, test_tmp_path_free)

static TestTmpPath *
write_tmp_config (const char *contents)
{
  g_autoptr (GError) error = NULL;
  char *path = NULL;
  int fd;

  fd = g_file_open_tmp ("vsa-test-config-XXXXXX.conf", &path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (fd, >=, 0);
  close (fd);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
  return path;
}

/* An environment with nothing but the given NAME, VALUE pairs (NULL-terminated). */
static char **make_env (const char *first_name, ...) G_GNUC_NULL_TERMINATED;

static char **
make_env (const char *first_name, ...)
{
  char **envp = g_new0 (char *, 1);
  va_list ap;

  va_start (ap, first_name);
  for (const char *name = first_name; name != NULL; name = va_arg (ap, const char *))
    {
      const char *value = va_arg (ap, const char *);

      envp = g_environ_setenv (envp, name, value, TRUE);
    }
  va_end (ap);
  return envp;
}

/* The minimal environment a load needs to succeed. */
static char **
base_env (void)
{
  return make_env ("SESSION_ID", ENV_SESSION, "MASTER_CONTROLLER_URL", ENV_URL, NULL);
}

/* Runs vsa_config_load with argv = { "vm-stream-agent", flags…, NULL }. Returns the config
 * on success, NULL (and @error set) on failure. */
static VsaConfig *load (char **envp, GError **error, ...) G_GNUC_NULL_TERMINATED;

static VsaConfig *
load (char **envp, GError **error, ...)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (VsaConfig) config = vsa_config_new ();
  g_auto (GStrv) argv = NULL;
  gboolean ok;
  va_list ap;

  g_ptr_array_add (args, g_strdup ("vm-stream-agent"));
  va_start (ap, error);
  for (const char *arg = va_arg (ap, const char *); arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, g_strdup (arg));
  va_end (ap);
  g_ptr_array_add (args, NULL);
  argv = (char **) g_ptr_array_steal (args, NULL);

  ok = vsa_config_load (config, argv, envp, error);
  if (ok)
    {
      g_assert_true (error == NULL || *error == NULL);
      return g_steal_pointer (&config);
    }
  g_assert_true (error == NULL || *error != NULL);
  return NULL;
}

static void
assert_error_mentions (const GError *error, GQuark domain, int code, const char *needle)
{
  g_assert_nonnull (error);
  g_test_message ("error: %s", error->message);
  g_assert_error (error, domain, code);
  if (needle != NULL)
    {
      g_test_message ("expecting the message to mention \"%s\"", needle);
      g_assert_nonnull (strstr (error->message, needle));
    }
}

/* Loads with the base environment, an empty config file and one extra flag pair; expects
 * VSA_CONFIG_ERROR_INVALID naming @key. */
static void
assert_flag_invalid (const char *flag, const char *value, const char *key)
{
  g_autoptr (TestTmpPath) path = write_tmp_config ("");
  g_auto (GStrv) envp = base_env ();
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaConfig) config = NULL;

  g_test_message ("%s %s", flag, value);
  config = load (envp, &error, "--config", path, flag, value, NULL);
  g_assert_null (config);
  assert_error_mentions (error, VSA_CONFIG_ERROR, VSA_CONFIG_ERROR_INVALID, key);
}

/* Same with a config file holding @line in [agent]. */
static void
assert_file_invalid (const char *line, const char *key)
{
  g_autofree char *contents = g_strdup_printf ("[agent]\n%s\n", line);
  g_autoptr (TestTmpPath) path = write_tmp_config (contents);
  g_auto (GStrv) envp = base_env ();
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaConfig) config = NULL;

  g_autofree char *where = g_strdup_printf ("%s: %s", path, key);

  g_test_message ("file: %s", line);
  config = load (envp, &error, "--config", path, NULL);
  g_assert_null (config);
  /* the file is named, then the key */
  assert_error_mentions (error, VSA_CONFIG_ERROR, VSA_CONFIG_ERROR_INVALID, where);
}

static void
assert_codecs (char **codecs, const char *const *expected)
{
  g_assert_nonnull (codecs);
  g_assert_cmpuint (g_strv_length (codecs), ==, g_strv_length ((char **) expected));
  for (guint i = 0; expected[i] != NULL; i++)
    g_assert_cmpstr (codecs[i], ==, expected[i]);
}

static void
test_defaults (void)
{
  g_autoptr (TestTmpPath) path = write_tmp_config ("");
  g_auto (GStrv) envp = base_env ();
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaConfig) config = NULL;
  const char *const default_codecs[] = { "h264", "vp8", "vp9", NULL };

  config = load (envp, &error, "--config", path, NULL);
  g_assert_no_error (error);
  g_assert_nonnull (config);

  g_assert_cmpstr (config->session_id, ==, ENV_SESSION);
  g_assert_cmpstr (config->controller_url, ==, ENV_URL);
  g_assert_cmpstr (config->display, ==, ":0");
  g_assert_cmpint (config->source, ==, VSA_SOURCE_X11);
  assert_codecs (config->codecs, default_codecs);
  g_assert_cmpint (config->encoder, ==, VSA_ENCODER_AUTO);
  g_assert_cmpuint (config->fps, ==, 30);
  g_assert_cmpuint (config->bitrate_kbps, ==, 2500);
  g_assert_cmpuint (config->min_bitrate_kbps, ==, 300);
  g_assert_cmpuint (config->poll_fast_ms, ==, 100);
  g_assert_cmpuint (config->poll_slow_ms, ==, 500);
  g_assert_cmpuint (config->fast_window_s, ==, 60);
  g_assert_cmpuint (config->answer_window_ms, ==, 300);
  g_assert_cmpuint (config->request_timeout_s, ==, 5);
  g_assert_cmpuint (config->ice_servers_max_age_s, ==, 600);
  g_assert_true (config->input);
  g_assert_false (config->verbose);
  g_assert_false (config->show_version);
  g_assert_cmpstr (config->config_file, ==, path);
}

static void
test_environment (void)
{
  g_autoptr (TestTmpPath) path = write_tmp_config ("");
  g_auto (GStrv) envp
      = make_env ("SESSION_ID", "3f1b6c1e-8d2e-4a6b-9d0c-1a2b3c4d5e6f", "MASTER_CONTROLLER_URL",
                  "http://192.168.100.1:4000", "DISPLAY", ":1", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaConfig) config = NULL;

  config = load (envp, &error, "--config", path, NULL);
  g_assert_no_error (error);
  g_assert_cmpstr (config->session_id, ==, "3f1b6c1e-8d2e-4a6b-9d0c-1a2b3c4d5e6f");
  g_assert_cmpstr (config->controller_url, ==, "http://192.168.100.1:4000");
  g_assert_cmpstr (config->display, ==, ":1");
}

static void
test_file (void)
{
  g_autoptr (TestTmpPath) path = write_tmp_config ("# comment\n"
                                                   "[agent]\n"
                                                   "session-id=file-session\n"
                                                   "controller-url=https://file.example:8443/api\n"
                                                   "display=:7\n"
                                                   "source=test\n"
                                                   "codecs=vp9\n"
                                                   "fps=15\n"
                                                   "bitrate=4000\n"
                                                   "min-bitrate=500\n"
                                                   "poll-interval=2000\n"
                                                   "fast-poll-interval=180\n"
                                                   "fast-poll-window=30\n"
                                                   "answer-window=700\n"
                                                   "request-timeout=9\n"
                                                   "ice-servers-max-age=3600\n");
  g_auto (GStrv) envp = make_env (NULL, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaConfig) config = NULL;
  const char *const codecs[] = { "vp9", NULL };

  config = load (envp, &error, "--config", path, NULL);
  g_assert_no_error (error);
  g_assert_cmpstr (config->session_id, ==, "file-session");
  g_assert_cmpstr (config->controller_url, ==, "https://file.example:8443/api");
  g_assert_cmpstr (config->display, ==, ":7");
  g_assert_cmpint (config->source, ==, VSA_SOURCE_TEST);
  assert_codecs (config->codecs, codecs);
  g_assert_cmpuint (config->fps, ==, 15);
  g_assert_cmpuint (config->bitrate_kbps, ==, 4000);
  g_assert_cmpuint (config->min_bitrate_kbps, ==, 500);
  g_assert_cmpuint (config->poll_slow_ms, ==, 2000);
  g_assert_cmpuint (config->poll_fast_ms, ==, 180);
  g_assert_cmpuint (config->fast_window_s, ==, 30);
  g_assert_cmpuint (config->answer_window_ms, ==, 700);
  g_assert_cmpuint (config->request_timeout_s, ==, 9);
  g_assert_cmpuint (config->ice_servers_max_age_s, ==, 3600);
  g_assert_cmpstr (config->config_file, ==, path);
}

static void
test_flags (void)
{
  g_autoptr (TestTmpPath) path = write_tmp_config ("");
  g_auto (GStrv) envp = make_env (NULL, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaConfig) config = NULL;
  const char *const codecs[] = { "vp8", "h264", NULL };

  config = load (envp, &error, "--config", path, "--session-id", "flag-session", "--controller-url",
                 "http://flag.example:4000", "--display", ":5", "--source", "test", "--codec",
                 "vp8,h264", "--fps", "60", "--bitrate", "1200", "--min-bitrate", "400",
                 "--poll-interval", "1500", "--fast-poll-interval", "120", "--answer-window", "450",
                 "--verbose", NULL);
  g_assert_no_error (error);
  g_assert_cmpstr (config->session_id, ==, "flag-session");
  g_assert_cmpstr (config->controller_url, ==, "http://flag.example:4000");
  g_assert_cmpstr (config->display, ==, ":5");
  g_assert_cmpint (config->source, ==, VSA_SOURCE_TEST);
  assert_codecs (config->codecs, codecs);
  g_assert_cmpuint (config->fps, ==, 60);
  g_assert_cmpuint (config->bitrate_kbps, ==, 1200);
  g_assert_cmpuint (config->min_bitrate_kbps, ==, 400);
  g_assert_cmpuint (config->poll_slow_ms, ==, 1500);
  g_assert_cmpuint (config->poll_fast_ms, ==, 120);
  g_assert_cmpuint (config->answer_window_ms, ==, 450);
  g_assert_true (config->verbose);
  g_assert_false (config->show_version);
  /* Settings without a flag keep their defaults. */
  g_assert_cmpuint (config->fast_window_s, ==, 60);
  g_assert_cmpuint (config->request_timeout_s, ==, 5);
}

static void
test_flags_equals_form (void)
{
  g_autoptr (TestTmpPath) path = write_tmp_config ("");
  g_auto (GStrv) envp = base_env ();
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaConfig) config = NULL;
  g_autofree char *config_flag = g_strdup_printf ("--config=%s", path);

  config = load (envp, &error, config_flag, "--fps=24", "--source=test", NULL);
  g_assert_no_error (error);
  g_assert_cmpuint (config->fps, ==, 24);
  g_assert_cmpint (config->source, ==, VSA_SOURCE_TEST);
  g_assert_cmpstr (config->config_file, ==, path);
}

static void
test_version (void)
{
  g_autoptr (TestTmpPath) path = write_tmp_config ("");
  g_auto (GStrv) envp = base_env ();
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaConfig) config = NULL;

  config = load (envp, &error, "--config", path, "--version", NULL);
  g_assert_no_error (error);
  g_assert_nonnull (config);
  g_assert_true (config->show_version);
}

static void
test_precedence_flag_over_env (void)
{
  g_autoptr (TestTmpPath) path = write_tmp_config ("");
  g_auto (GStrv) envp = make_env ("SESSION_ID", ENV_SESSION, "MASTER_CONTROLLER_URL", ENV_URL,
                                  "DISPLAY", ":1", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaConfig) config = NULL;

  config = load (envp, &error, "--config", path, "--session-id", "flag-session", "--controller-url",
                 "http://flag.example:4000", "--display", ":5", NULL);
  g_assert_no_error (error);
  g_assert_cmpstr (config->session_id, ==, "flag-session");
  g_assert_cmpstr (config->controller_url, ==, "http://flag.example:4000");
  g_assert_cmpstr (config->display, ==, ":5");
}

static void
test_precedence_env_over_file (void)
{
  g_autoptr (TestTmpPath) path = write_tmp_config ("[agent]\n"
                                                   "session-id=file-session\n"
                                                   "controller-url=http://file.example:4000\n"
                                                   "display=:7\n");
  g_auto (GStrv) envp = make_env ("SESSION_ID", ENV_SESSION, "MASTER_CONTROLLER_URL", ENV_URL,
                                  "DISPLAY", ":1", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaConfig) config = NULL;

  config = load (envp, &error, "--config", path, NULL);
  g_assert_no_error (error);
  g_assert_cmpstr (config->session_id, ==, ENV_SESSION);
  g_assert_cmpstr (config->controller_url, ==, ENV_URL);
  g_assert_cmpstr (config->display, ==, ":1");
}

/* Each environment variable overrides only its own setting: the others still come from the
 * file. */
static void
test_precedence_env_over_file_per_setting (void)
{
  g_autoptr (TestTmpPath) path = write_tmp_config ("[agent]\n"
                                                   "session-id=file-session\n"
                                                   "controller-url=http://file.example:4000\n"
                                                   "display=:7\n");
  struct
  {
    const char *name;
    const char *value;
  } vars[] = {
    { "SESSION_ID", ENV_SESSION },
    { "MASTER_CONTROLLER_URL", ENV_URL },
    { "DISPLAY", ":1" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (vars); i++)
    {
      g_auto (GStrv) envp = make_env (vars[i].name, vars[i].value, NULL);
      g_autoptr (GError) error = NULL;
      g_autoptr (VsaConfig) config = NULL;

      g_test_message ("only %s=%s", vars[i].name, vars[i].value);
      config = load (envp, &error, "--config", path, NULL);
      g_assert_no_error (error);
      g_assert_cmpstr (config->session_id, ==, i == 0 ? ENV_SESSION : "file-session");
      g_assert_cmpstr (config->controller_url, ==, i == 1 ? ENV_URL : "http://file.example:4000");
      g_assert_cmpstr (config->display, ==, i == 2 ? ":1" : ":7");
    }
}

static void
test_precedence_flag_over_file (void)
{
  g_autoptr (TestTmpPath) path = write_tmp_config ("[agent]\n"
                                                   "session-id=file-session\n"
                                                   "controller-url=http://file.example:4000\n"
                                                   "display=:7\n"
                                                   "source=test\n"
                                                   "codecs=vp9\n"
                                                   "fps=15\n"
                                                   "bitrate=4000\n"
                                                   "poll-interval=2000\n"
                                                   "fast-poll-interval=100\n"
                                                   "answer-window=700\n");
  g_auto (GStrv) envp = make_env (NULL, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaConfig) config = NULL;
  const char *const codecs[] = { "h264", "vp8", NULL };

  config = load (envp, &error, "--config", path, "--session-id", "flag-session", "--controller-url",
                 "http://flag.example:4000", "--display", ":5", "--source", "x11", "--codec",
                 "h264,vp8", "--fps", "25", "--bitrate", "800", "--poll-interval", "3000",
                 "--fast-poll-interval", "200", "--answer-window", "150", NULL);
  g_assert_no_error (error);
  g_assert_cmpstr (config->session_id, ==, "flag-session");
  g_assert_cmpstr (config->controller_url, ==, "http://flag.example:4000");
  g_assert_cmpstr (config->display, ==, ":5");
  g_assert_cmpint (config->source, ==, VSA_SOURCE_X11);
  assert_codecs (config->codecs, codecs);
  g_assert_cmpuint (config->fps, ==, 25);
  g_assert_cmpuint (config->bitrate_kbps, ==, 800);
  g_assert_cmpuint (config->poll_slow_ms, ==, 3000);
  g_assert_cmpuint (config->poll_fast_ms, ==, 200);
  g_assert_cmpuint (config->answer_window_ms, ==, 150);
}

/* A file that sets only some keys leaves the others at their defaults. */
static void
test_precedence_file_over_default_partial (void)
{
  g_autoptr (TestTmpPath) path = write_tmp_config ("[agent]\nfps=10\n");
  g_auto (GStrv) envp = base_env ();
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaConfig) config = NULL;

  config = load (envp, &error, "--config", path, NULL);
  g_assert_no_error (error);
  g_assert_cmpuint (config->fps, ==, 10);
  g_assert_cmpuint (config->bitrate_kbps, ==, 2500);
  g_assert_cmpstr (config->display, ==, ":0");
  g_assert_cmpint (config->source, ==, VSA_SOURCE_X11);
}

static void
test_url_normalised (void)
{
  const struct
  {
    const char *in;
    const char *out;
  } cases[] = {
    { "http://h:4000/", "http://h:4000" },
    { "https://ctl.example/prefix/", "https://ctl.example/prefix" },
    { "http://192.168.100.1:4000", "http://192.168.100.1:4000" },
    { "https://ctl.example", "https://ctl.example" },
    { "http://h:4000/a/b", "http://h:4000/a/b" },
  };
  g_autoptr (TestTmpPath) path = write_tmp_config ("");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto (GStrv) envp = make_env ("SESSION_ID", ENV_SESSION, NULL);
      g_auto (GStrv) envp_url
          = make_env ("SESSION_ID", ENV_SESSION, "MASTER_CONTROLLER_URL", cases[i].in, NULL);
      g_autoptr (GError) error = NULL;
      g_autoptr (VsaConfig) config = NULL;

      g_test_message ("flag %s", cases[i].in);
      config = load (envp, &error, "--config", path, "--controller-url", cases[i].in, NULL);
      g_assert_no_error (error);
      g_assert_cmpstr (config->controller_url, ==, cases[i].out);
      g_clear_pointer (&config, vsa_config_free);

      g_test_message ("env %s", cases[i].in);
      config = load (envp_url, &error, "--config", path, NULL);
      g_assert_no_error (error);
      g_assert_cmpstr (config->controller_url, ==, cases[i].out);
    }
}

static void
test_url_normalised_from_file (void)
{
  g_autoptr (TestTmpPath) path = write_tmp_config ("[agent]\n"
                                                   "controller-url=https://ctl.example/prefix/\n");
  g_auto (GStrv) envp = make_env ("SESSION_ID", ENV_SESSION, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaConfig) config = NULL;

  config = load (envp, &error, "--config", path, NULL);
  g_assert_no_error (error);
  g_assert_cmpstr (config->controller_url, ==, "https://ctl.example/prefix");
}

static void
test_url_invalid (void)
{
  const char *const urls[] = { "ftp://x", "not a url", "http://", "" };

  for (guint i = 0; i < G_N_ELEMENTS (urls); i++)
    assert_flag_invalid ("--controller-url", urls[i], "controller-url");
}

static void
test_url_invalid_from_env (void)
{
  g_autoptr (TestTmpPath) path = write_tmp_config ("");
  g_auto (GStrv) envp
      = make_env ("SESSION_ID", ENV_SESSION, "MASTER_CONTROLLER_URL", "ftp://x", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaConfig) config = NULL;

  config = load (envp, &error, "--config", path, NULL);
  g_assert_null (config);
  assert_error_mentions (error, VSA_CONFIG_ERROR, VSA_CONFIG_ERROR_INVALID, "controller-url");
}

static void
test_missing_session_id (void)
{
  g_autoptr (TestTmpPath) path = write_tmp_config ("[agent]\ndisplay=:3\n");
  g_auto (GStrv) envp = make_env ("MASTER_CONTROLLER_URL", ENV_URL, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaConfig) config = NULL;

  config = load (envp, &error, "--config", path, NULL);
  g_assert_null (config);
  assert_error_mentions (error, VSA_CONFIG_ERROR, VSA_CONFIG_ERROR_MISSING, "session-id");
}

static void
test_missing_controller_url (void)
{
  g_autoptr (TestTmpPath) path = write_tmp_config ("[agent]\ndisplay=:3\n");
  g_auto (GStrv) envp = make_env ("SESSION_ID", ENV_SESSION, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaConfig) config = NULL;

  config = load (envp, &error, "--config", path, NULL);
  g_assert_null (config);
  assert_error_mentions (error, VSA_CONFIG_ERROR, VSA_CONFIG_ERROR_MISSING, "controller-url");
}

static void
test_fps_range (void)
{
  g_autoptr (TestTmpPath) path = write_tmp_config ("");
  g_auto (GStrv) envp = base_env ();
  const char *const good[] = { "1", "120" };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (VsaConfig) config = load (envp, &error, "--config", path, "--fps", good[i], NULL);

      g_assert_no_error (error);
      g_assert_cmpuint (config->fps, ==, (guint) atoi (good[i]));
    }
}

static void
test_fps_invalid (void)
{
  assert_flag_invalid ("--fps", "0", "fps");
  assert_flag_invalid ("--fps", "121", "fps");
  assert_file_invalid ("fps=0", "fps");
  assert_file_invalid ("fps=500", "fps");
  assert_file_invalid ("fps=abc", "fps");
  assert_file_invalid ("fps=-5", "fps");
}

static void
test_codecs_invalid (void)
{
  assert_flag_invalid ("--codec", "av1", "codecs");
  assert_flag_invalid ("--codec", "foo", "codecs");
  assert_flag_invalid ("--codec", "vp8,av1", "codecs");
  assert_file_invalid ("codecs=av1", "codecs");
  assert_file_invalid ("codecs=foo", "codecs");
  /* the offer's order stands alone */
  assert_file_invalid ("codecs=offer,vp8", "codecs");
  assert_flag_invalid ("--codec", "vp8,offer", "codecs");
}

/* codecs=offer: the browser's order, and the agent may send any of its codecs. */
static void
test_codecs_offer (void)
{
  g_autoptr (TestTmpPath) path = write_tmp_config ("[agent]\ncodecs=offer\n");
  g_autoptr (TestTmpPath) empty = write_tmp_config ("");
  g_auto (GStrv) envp = base_env ();
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaConfig) file = NULL;
  g_autoptr (VsaConfig) flag = NULL;
  const char *const offer[] = { "offer", NULL };

  file = load (envp, &error, "--config", path, NULL);
  g_assert_no_error (error);
  assert_codecs (file->codecs, offer);
  flag = load (envp, &error, "--config", empty, "--codec", "offer", NULL);
  g_assert_no_error (error);
  assert_codecs (flag->codecs, offer);
}

/* metrics-listen: off by default; an IP literal (IPv6 in brackets) and a port; a flag's
 * empty value turns off what the file set. */
static void
test_metrics_listen (void)
{
  g_autoptr (TestTmpPath) path = write_tmp_config ("[agent]\nmetrics-listen=127.0.0.1:9464\n");
  g_autoptr (TestTmpPath) empty = write_tmp_config ("");
  g_auto (GStrv) envp = base_env ();
  const struct
  {
    const char *value;
    const char *address;
    guint port;
  } good[] = {
    { "127.0.0.1:9464", "127.0.0.1", 9464 },
    { "0.0.0.0:0", "0.0.0.0", 0 },
    { "[::1]:65535", "::1", 65535 },
    { "[fe80::1]:80", "fe80::1", 80 },
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaConfig) config = NULL;
  g_autoptr (VsaConfig) from_file = NULL;
  g_autoptr (VsaConfig) turned_off = NULL;

  config = load (envp, &error, "--config", empty, NULL);
  g_assert_no_error (error);
  g_assert_null (config->metrics_address);
  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr (VsaConfig) parsed
          = load (envp, &error, "--config", empty, "--metrics-listen", good[i].value, NULL);

      g_assert_no_error (error);
      g_assert_cmpstr (parsed->metrics_address, ==, good[i].address);
      g_assert_cmpuint (parsed->metrics_port, ==, good[i].port);
    }
  from_file = load (envp, &error, "--config", path, NULL);
  g_assert_no_error (error);
  g_assert_cmpstr (from_file->metrics_address, ==, "127.0.0.1");
  g_assert_cmpuint (from_file->metrics_port, ==, 9464);
  turned_off = load (envp, &error, "--config", path, "--metrics-listen", "", NULL);
  g_assert_no_error (error);
  g_assert_null (turned_off->metrics_address);
}

static void
test_metrics_listen_invalid (void)
{
  const char *const bad[]
      = { "localhost:9464",        "127.0.0.1",      "127.0.0.1:", "127.0.0.1:65536",
          "127.0.0.1:-1",          "127.0.0.1:http", "::1:9464",   "[::1]",
          "[127.0.0.1]:80",        "[::1]9464",      "1.2.3:80",   ":9464",
          "127.0.0.1:9464/metrics" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    assert_flag_invalid ("--metrics-listen", bad[i], "metrics-listen");
  assert_file_invalid ("metrics-listen=localhost:9464", "metrics-listen");
}

/* listen (standalone mode): metrics-listen's syntax; off by default; no session id or
 * controller URL needed then. */
static void
test_listen (void)
{
  g_autoptr (TestTmpPath) empty = write_tmp_config ("");
  char *envp[] = { NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaConfig) standalone = NULL;
  g_autoptr (VsaConfig) ipv6 = NULL;

  standalone = load (envp, &error, "--config", empty, "--listen", "127.0.0.1:8080", NULL);
  g_assert_no_error (error);
  g_assert_cmpstr (standalone->listen_address, ==, "127.0.0.1");
  g_assert_cmpuint (standalone->listen_port, ==, 8080);
  g_assert_cmpstr (standalone->session_id, ==, "standalone");
  g_assert_null (standalone->controller_url);
  ipv6 = load (envp, &error, "--config", empty, "--listen", "[::1]:0", NULL);
  g_assert_no_error (error);
  g_assert_cmpstr (ipv6->listen_address, ==, "::1");
  g_assert_null (load (envp, &error, "--config", empty, NULL));
  g_assert_error (error, VSA_CONFIG_ERROR, VSA_CONFIG_ERROR_MISSING);
  assert_flag_invalid ("--listen", "localhost:8080", "listen");
  assert_file_invalid ("listen=127.0.0.1", "listen");
}

/* Off loopback, standalone mode takes a token or allow-open-listen. */
static void
test_listen_open (void)
{
  g_autoptr (TestTmpPath) empty = write_tmp_config ("");
  g_autoptr (TestTmpPath) token = write_tmp_config ("t0ken\n");
  g_autoptr (TestTmpPath) allowed = write_tmp_config ("[agent]\nallow-open-listen=true\n");
  char *envp[] = { NULL };
  const char *const loopback[] = { "127.0.0.1:0", "127.3.2.1:8080", "[::1]:8080" };
  const char *const open[] = { "0.0.0.0:8080", "192.168.1.5:8080", "[::]:8080" };

  for (guint i = 0; i < G_N_ELEMENTS (loopback); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (VsaConfig) config = NULL;

      config = load (envp, &error, "--config", empty, "--listen", loopback[i], NULL);
      g_assert_no_error (error);
    }
  for (guint i = 0; i < G_N_ELEMENTS (open); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (VsaConfig) refused = NULL;
      g_autoptr (VsaConfig) with_token = NULL;
      g_autoptr (VsaConfig) in_file = NULL;
      g_autoptr (VsaConfig) by_flag = NULL;

      g_test_message ("--listen %s", open[i]);
      refused = load (envp, &error, "--config", empty, "--listen", open[i], NULL);
      assert_error_mentions (error, VSA_CONFIG_ERROR, VSA_CONFIG_ERROR_INVALID,
                             "is not a loopback address and no token-file is set");
      g_clear_error (&error);
      with_token = load (envp, &error, "--config", empty, "--listen", open[i], "--token-file",
                         token, NULL);
      g_assert_no_error (error);
      in_file = load (envp, &error, "--config", allowed, "--listen", open[i], NULL);
      g_assert_no_error (error);
      g_assert_true (in_file->allow_open_listen);
      by_flag = load (envp, &error, "--config", empty, "--listen", open[i], "--allow-open-listen",
                      NULL);
      g_assert_no_error (error);
    }
  assert_file_invalid ("allow-open-listen=yes", "allow-open-listen");
}

/* input: true or false in the file, --view-only over it. */
static void
test_input (void)
{
  g_autoptr (TestTmpPath) off = write_tmp_config ("[agent]\ninput=false\n");
  g_autoptr (TestTmpPath) on = write_tmp_config ("[agent]\ninput=true\n");
  g_auto (GStrv) envp = base_env ();
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaConfig) file_off = NULL;
  g_autoptr (VsaConfig) flag_off = NULL;

  file_off = load (envp, &error, "--config", off, NULL);
  g_assert_no_error (error);
  g_assert_false (file_off->input);
  flag_off = load (envp, &error, "--config", on, "--view-only", NULL);
  g_assert_no_error (error);
  g_assert_false (flag_off->input);
  assert_file_invalid ("input=maybe", "input");
  assert_file_invalid ("input=1", "input");
}

/* cursor: local by default, video in the file, --cursor over it; nothing else. */
static void
test_cursor (void)
{
  g_autoptr (TestTmpPath) video = write_tmp_config ("[agent]\ncursor=video\n");
  g_autoptr (TestTmpPath) empty = write_tmp_config ("");
  g_auto (GStrv) envp = base_env ();
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaConfig) by_default = NULL;
  g_autoptr (VsaConfig) in_file = NULL;
  g_autoptr (VsaConfig) by_flag = NULL;

  by_default = load (envp, &error, "--config", empty, NULL);
  g_assert_no_error (error);
  g_assert_cmpint (by_default->cursor, ==, VSA_CURSOR_LOCAL);
  in_file = load (envp, &error, "--config", video, NULL);
  g_assert_no_error (error);
  g_assert_cmpint (in_file->cursor, ==, VSA_CURSOR_VIDEO);
  by_flag = load (envp, &error, "--config", video, "--cursor", "local", NULL);
  g_assert_no_error (error);
  g_assert_cmpint (by_flag->cursor, ==, VSA_CURSOR_LOCAL);
  assert_file_invalid ("cursor=none", "cursor");
}

/* Standalone mode's CORS origins and ICE servers: comma lists, checked item by item;
 * none by default. */
static void
test_standalone_lists (void)
{
  g_autoptr (TestTmpPath) empty = write_tmp_config ("");
  g_autoptr (TestTmpPath) path = write_tmp_config (
      "[agent]\nallow-origins= https://viewer.example:8443 , http://127.0.0.1:9000,\n"
      "ice-servers=stun:stun.example.net:3478,turn:turn.example.net?transport=tcp\n"
      "ice-username=user\nice-credential=pass word\n");
  char *envp[] = { NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaConfig) defaults = NULL;
  g_autoptr (VsaConfig) config = NULL;
  const char *const origins[] = { "https://viewer.example:8443", "http://127.0.0.1:9000", NULL };
  const char *const servers[]
      = { "stun:stun.example.net:3478", "turn:turn.example.net?transport=tcp", NULL };

  defaults = load (envp, &error, "--config", empty, "--listen", "127.0.0.1:0", NULL);
  g_assert_no_error (error);
  g_assert_null (defaults->allow_origins);
  g_assert_null (defaults->ice_servers);
  g_assert_null (defaults->ice_credential);
  g_clear_pointer (&defaults, vsa_config_free);
  /* the commented defaults, uncommented: all unset */
  {
    g_autoptr (TestTmpPath) blank = write_tmp_config (
        "[agent]\nallow-origins=\nice-servers=\nice-username=\nice-credential=\n");

    defaults = load (envp, &error, "--config", blank, "--listen", "127.0.0.1:0", NULL);
    g_assert_no_error (error);
    g_assert_null (defaults->allow_origins);
    g_assert_null (defaults->ice_servers);
    g_assert_null (defaults->ice_username);
    g_assert_null (defaults->ice_credential);
  }
  config = load (envp, &error, "--config", path, "--listen", "127.0.0.1:0", NULL);
  g_assert_no_error (error);
  g_assert_cmpstrv (config->allow_origins, origins);
  g_assert_cmpstrv (config->ice_servers, servers);
  g_assert_cmpstr (config->ice_username, ==, "user");
  g_assert_cmpstr (config->ice_credential, ==, "pass word");
  assert_file_invalid ("allow-origins=*,https://example.org/path", "allow-origins");
  assert_file_invalid ("allow-origins=example.org", "allow-origins");
  assert_file_invalid ("ice-servers=stun:a.example,http://b.example", "ice-servers");
  assert_file_invalid ("ice-servers=turn:", "ice-servers");
}

/* The token: from --token-file, the key file, or the systemd credential; one word. */
static void
test_token (void)
{
  g_autoptr (TestTmpPath) token_path = write_tmp_config (" s3cr3t-t0ken\n");
  g_autofree char *contents
      = g_strdup_printf ("[agent]\ntoken-file=%s\nca-file=/etc/ca.pem\n", token_path);
  g_autoptr (TestTmpPath) path = write_tmp_config (contents);
  g_autoptr (TestTmpPath) empty = write_tmp_config ("");
  g_autofree char *credentials = g_dir_make_tmp ("vsa-test-credentials-XXXXXX", NULL);
  g_autofree char *credential = g_build_filename (credentials, "controller-token", NULL);
  g_auto (GStrv) envp = base_env ();
  g_auto (GStrv) credential_envp = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaConfig) config = NULL;
  g_autoptr (VsaConfig) flag_config = NULL;
  g_autoptr (VsaConfig) credential_config = NULL;

  config = load (envp, &error, "--config", path, NULL);
  g_assert_no_error (error);
  g_assert_cmpstr (config->token, ==, "s3cr3t-t0ken");
  g_assert_cmpstr (config->ca_file, ==, "/etc/ca.pem");

  flag_config = load (envp, &error, "--config", path, "--token-file", token_path, NULL);
  g_assert_no_error (error);
  g_assert_cmpstr (flag_config->token, ==, "s3cr3t-t0ken");

  g_assert_true (g_file_set_contents (credential, "cr3dential\n", -1, NULL));
  credential_envp = g_environ_setenv (g_strdupv (envp), "CREDENTIALS_DIRECTORY", credentials, TRUE);
  credential_config = load (credential_envp, &error, "--config", empty, NULL);
  g_assert_no_error (error);
  g_assert_cmpstr (credential_config->token, ==, "cr3dential");
  g_unlink (credential);
  g_rmdir (credentials);
}

static void
test_token_invalid (void)
{
  g_autoptr (TestTmpPath) empty = write_tmp_config ("\n");
  g_autoptr (TestTmpPath) two_words = write_tmp_config ("two words\n");
  g_autoptr (TestTmpPath) nul = write_tmp_config ("");

  g_assert_true (g_file_set_contents (nul, "to\0ken", 6, NULL));
  assert_flag_invalid ("--token-file", empty, "token-file");
  assert_flag_invalid ("--token-file", two_words, "token-file");
  assert_flag_invalid ("--token-file", nul, "token-file");
  assert_flag_invalid ("--token-file", "/nonexistent/token", "token-file");
}

static void
test_source_invalid (void)
{
  assert_flag_invalid ("--source", "wayland", "source");
  assert_file_invalid ("source=wayland", "source");
}

/* encoder: the flag over the file, each of the three words, nothing else. */
static void
test_encoder (void)
{
  g_autoptr (TestTmpPath) path = write_tmp_config ("[agent]\nencoder=vaapi\n");
  g_auto (GStrv) envp = base_env ();
  const char *const modes[] = { "auto", "software", "vaapi" };

  for (guint i = 0; i < G_N_ELEMENTS (modes); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (VsaConfig) config
          = load (envp, &error, "--config", path, "--encoder", modes[i], NULL);

      g_assert_no_error (error);
      g_assert_cmpint (config->encoder, ==, (VsaEncoderMode) i);
      g_assert_cmpstr (vsa_encoder_mode_to_string (config->encoder), ==, modes[i]);
    }
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (VsaConfig) config = load (envp, &error, "--config", path, NULL);

    g_assert_no_error (error);
    g_assert_cmpint (config->encoder, ==, VSA_ENCODER_VAAPI);
  }
  assert_flag_invalid ("--encoder", "nvenc", "encoder");
  assert_file_invalid ("encoder=VAAPI", "encoder");
  assert_file_invalid ("encoder=", "encoder");
}

static void
test_bitrate_invalid (void)
{
  assert_flag_invalid ("--bitrate", "0", "bitrate");
  assert_file_invalid ("bitrate=0", "bitrate");
  assert_file_invalid ("bitrate=lots", "bitrate");
}

/* The floor: its own range, never above the bitrate; unset, it follows a bitrate set below
 * its default. */
static void
test_min_bitrate (void)
{
  g_autoptr (TestTmpPath) path = write_tmp_config ("[agent]\nbitrate=200\n");
  g_autoptr (TestTmpPath) flag_over_file = write_tmp_config ("[agent]\nmin-bitrate=900\n");
  g_auto (GStrv) envp = base_env ();
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaConfig) low = NULL;
  g_autoptr (VsaConfig) equal = NULL;
  g_autoptr (VsaConfig) flagged = NULL;

  low = load (envp, &error, "--config", path, NULL);
  g_assert_no_error (error);
  g_assert_cmpuint (low->min_bitrate_kbps, ==, 200);

  equal = load (envp, &error, "--config", path, "--min-bitrate", "200", NULL);
  g_assert_no_error (error);
  g_assert_cmpuint (equal->min_bitrate_kbps, ==, 200);

  flagged = load (envp, &error, "--config", flag_over_file, "--min-bitrate", "150", NULL);
  g_assert_no_error (error);
  g_assert_cmpuint (flagged->min_bitrate_kbps, ==, 150);
  g_assert_cmpuint (flagged->bitrate_kbps, ==, 2500);

  assert_flag_invalid ("--min-bitrate", "99", "min-bitrate");
  assert_flag_invalid ("--min-bitrate", "2501", "min-bitrate");
  assert_flag_invalid ("--min-bitrate", "lots", "min-bitrate");
  assert_file_invalid ("min-bitrate=0", "min-bitrate");
  assert_file_invalid ("min-bitrate=-300", "min-bitrate");
  assert_file_invalid ("bitrate=1000\nmin-bitrate=1001", "min-bitrate");
}

/* The start: 800 kept between the floor and the bitrate when unset; set, it must be. */
static void
test_start_bitrate (void)
{
  g_autoptr (TestTmpPath) low = write_tmp_config ("[agent]\nbitrate=500\n");
  g_autoptr (TestTmpPath) high_floor = write_tmp_config ("[agent]\nmin-bitrate=1000\n");
  g_auto (GStrv) envp = base_env ();
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaConfig) defaults = NULL;
  g_autoptr (VsaConfig) under_bitrate = NULL;
  g_autoptr (VsaConfig) over_floor = NULL;
  g_autoptr (VsaConfig) set = NULL;

  defaults = load (envp, &error, NULL);
  g_assert_no_error (error);
  g_assert_cmpuint (defaults->start_bitrate_kbps, ==, 800);
  under_bitrate = load (envp, &error, "--config", low, NULL);
  g_assert_no_error (error);
  g_assert_cmpuint (under_bitrate->start_bitrate_kbps, ==, 500);
  over_floor = load (envp, &error, "--config", high_floor, NULL);
  g_assert_no_error (error);
  g_assert_cmpuint (over_floor->start_bitrate_kbps, ==, 1000);
  set = load (envp, &error, "--start-bitrate", "2000", NULL);
  g_assert_no_error (error);
  g_assert_cmpuint (set->start_bitrate_kbps, ==, 2000);

  assert_flag_invalid ("--start-bitrate", "2501", "start-bitrate");
  assert_flag_invalid ("--start-bitrate", "lots", "start-bitrate");
  assert_file_invalid ("min-bitrate=500\nstart-bitrate=400", "start-bitrate");
}

/* Refreshed at half that age: a second at least. */
static void
test_ice_servers_max_age_invalid (void)
{
  assert_file_invalid ("ice-servers-max-age=1", "ice-servers-max-age");
  assert_file_invalid ("ice-servers-max-age=86401", "ice-servers-max-age");
}

/* Flag values that are not numbers: an error of any domain, and no crash. */
static void
test_flag_garbage (void)
{
  const char *const cases[][2] = {
    { "--fps", "abc" },
    { "--bitrate", "abc" },
    { "--min-bitrate", "1k" },
    { "--poll-interval", "soon" },
    { "--fast-poll-interval", "1e3x" },
    { "--answer-window", "-" },
  };
  g_autoptr (TestTmpPath) path = write_tmp_config ("");
  g_auto (GStrv) envp = base_env ();

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (VsaConfig) config = NULL;

      g_test_message ("%s %s", cases[i][0], cases[i][1]);
      config = load (envp, &error, "--config", path, cases[i][0], cases[i][1], NULL);
      g_assert_null (config);
      g_assert_nonnull (error);
      g_test_message ("error: %s", error->message);
    }
}

/* A flag given without its value, and an unknown flag: errors, no crash. */
static void
test_flag_malformed (void)
{
  g_autoptr (TestTmpPath) path = write_tmp_config ("");
  g_auto (GStrv) envp = base_env ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) error2 = NULL;
  g_autoptr (VsaConfig) config = NULL;

  config = load (envp, &error, "--config", path, "--fps", NULL);
  g_assert_null (config);
  g_assert_nonnull (error);

  config = load (envp, &error2, "--config", path, "--no-such-flag", NULL);
  g_assert_null (config);
  g_assert_nonnull (error2);
}

static void
test_config_file_missing (void)
{
  g_autoptr (TestTmpPath) dir_file = write_tmp_config ("");
  g_autofree char *missing = g_strconcat (dir_file, ".does-not-exist", NULL);
  g_auto (GStrv) envp = base_env ();
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaConfig) config = NULL;

  g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
  config = load (envp, &error, "--config", missing, NULL);
  g_assert_null (config);
  assert_error_mentions (error, VSA_CONFIG_ERROR, VSA_CONFIG_ERROR_INVALID, missing);
}

static void
test_config_file_syntax_error (void)
{
  const char *const bodies[] = {
    "[agent]\nthis line has no equals sign\n", "fps=30\n", /* a key before any group */
  };
  g_auto (GStrv) envp = base_env ();

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr (TestTmpPath) path = write_tmp_config (bodies[i]);
      g_autoptr (GError) error = NULL;
      g_autoptr (VsaConfig) config = NULL;

      config = load (envp, &error, "--config", path, NULL);
      g_assert_null (config);
      assert_error_mentions (error, VSA_CONFIG_ERROR, VSA_CONFIG_ERROR_INVALID, path);
    }
}

/* A misspelt key or group: one warning each, naming the file; the rest is read. */
static void
test_config_file_unknown_key (void)
{
  g_autoptr (TestTmpPath) path = write_tmp_config ("[agent]\nfsp=15\nfps=20\n[Agent]\nfps=25\n");
  g_autofree char *key_warning = g_strdup_printf ("%s: unknown key \"fsp\" (ignored)", path);
  g_autofree char *group_warning = g_strdup_printf ("%s: unknown group [Agent] (ignored)", path);
  g_auto (GStrv) envp = base_env ();
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaConfig) config = NULL;

  g_test_expect_message ("vsa", G_LOG_LEVEL_WARNING, key_warning);
  g_test_expect_message ("vsa", G_LOG_LEVEL_WARNING, group_warning);
  config = load (envp, &error, "--config", path, NULL);
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_cmpuint (config->fps, ==, 20);
}

/* A bad value the flags override is not read, so not an error. */
static void
test_config_file_bad_value_overridden (void)
{
  g_autoptr (TestTmpPath) path = write_tmp_config ("[agent]\nfps=abc\ncontroller-url=ftp://x\n");
  g_auto (GStrv) envp = base_env ();
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaConfig) config = NULL;

  config = load (envp, &error, "--config", path, "--fps", "20", NULL);
  g_assert_no_error (error);
  g_assert_cmpuint (config->fps, ==, 20);
  g_assert_cmpstr (config->controller_url, ==, ENV_URL);
}

/* Without --config the default path is read; when it does not exist, loading succeeds and
 * config_file stays NULL. */
static void
test_config_file_default_absent (void)
{
  g_auto (GStrv) envp = base_env ();
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaConfig) config = NULL;

  if (g_file_test (VSA_DEFAULT_CONFIG_FILE, G_FILE_TEST_EXISTS))
    {
      g_test_skip (VSA_DEFAULT_CONFIG_FILE " exists on this machine");
      return;
    }
  config = load (envp, &error, NULL);
  g_assert_no_error (error);
  g_assert_null (config->config_file);
  g_assert_cmpstr (config->session_id, ==, ENV_SESSION);
}

/* --- the agent binary: what an operator's mistake shows ----------------------------------- */

/* Runs the agent binary with @args (NULL-terminated): its exit status, and in *out what
 * it printed on stdout and stderr. */
static int
run_agent (const char *const *args, char **out)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vsa-test-config-XXXXXX", &error);
  g_autofree char *log = g_build_filename (dir, "out", NULL);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocess) agent = NULL;

  g_assert_no_error (error);
  g_ptr_array_add (argv, (gpointer) g_getenv ("VSA_AGENT_BIN"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  agent = vsa_test_spawn ((const char *const *) argv->pdata, NULL, log, &error);
  g_assert_no_error (error);
  if (!vsa_test_process_wait (agent, 10000))
    {
      vsa_test_process_stop (agent, 1000);
      g_test_fail_printf ("the agent did not exit within 10 s");
    }
  g_assert_true (g_file_get_contents (log, out, NULL, NULL));
  g_unlink (log);
  g_rmdir (dir);
  g_test_message ("exit status %d, output:\n%s", g_subprocess_get_exit_status (agent), *out);
  g_assert_true (g_subprocess_get_if_exited (agent));
  return g_subprocess_get_exit_status (agent);
}

/* Exit status 2 and one line, @line. */
static void
assert_agent_refuses (const char *const *args, const char *line)
{
  g_autofree char *out = NULL;
  g_autofree char *expected = g_strdup_printf ("vm-stream-agent: %s\n", line);

  g_assert_cmpint (run_agent (args, &out), ==, 2);
  g_assert_cmpstr (out, ==, expected);
}

static void
test_agent_unknown_option (void)
{
  g_autoptr (TestTmpPath) path = write_tmp_config ("");
  const char *const args[] = { "--config", path, "--foo", NULL };

  assert_agent_refuses (args, "Unknown option --foo (see --help)");
}

static void
test_agent_bad_value (void)
{
  g_autoptr (TestTmpPath) path = write_tmp_config ("[agent]\nfps=abc\n");
  const char *const args[] = { "--config", path, NULL };
  g_autofree char *line
      = g_strdup_printf ("%s: fps: \"abc\" is not a whole number from 1 to 120", path);

  assert_agent_refuses (args, line);
}

static void
test_agent_listen_open (void)
{
  g_autoptr (TestTmpPath) path = write_tmp_config ("");
  const char *const args[] = { "--config", path, "--listen", "0.0.0.0:0", NULL };

  assert_agent_refuses (args, "listen: 0.0.0.0 is not a loopback address and no token-file is "
                              "set: anyone who reaches it gets the screen (set token-file, or "
                              "allow-open-listen=true)");
}

/* The warning, then (to stop it) the error of a missing setting. */
static void
test_agent_unknown_key (void)
{
  g_autoptr (TestTmpPath) path = write_tmp_config ("[agent]\nfsp=30\n");
  const char *const args[]
      = { "--config", path, "--controller-url", "http://127.0.0.1:1", "--session-id", "", NULL };
  g_autofree char *out = NULL;
  g_autofree char *expected = g_strdup_printf (
      "vm-stream-agent: warning: %s: unknown key \"fsp\" (ignored)\n"
      "vm-stream-agent: session-id: not set (use --session-id, SESSION_ID or session-id in the "
      "config file)\n",
      path);

  if (g_getenv ("SESSION_ID") != NULL)
    {
      g_test_skip ("SESSION_ID is set");
      return;
    }
  g_assert_cmpint (run_agent (args, &out), ==, 2);
  g_assert_cmpstr (out, ==, expected);
}

/* --help says what each exit status means. */
static void
test_agent_help (void)
{
  const char *const args[] = { "--help", NULL };
  g_autofree char *out = NULL;

  g_assert_cmpint (run_agent (args, &out), ==, 0);
  g_assert_nonnull (strstr (out, "Exit status:\n  0 "));
  g_assert_nonnull (strstr (out, "\n  2      a configuration error"));
}

static void
test_source_kind_to_string (void)
{
  g_assert_cmpstr (vsa_source_kind_to_string (VSA_SOURCE_X11), ==, "x11");
  g_assert_cmpstr (vsa_source_kind_to_string (VSA_SOURCE_TEST), ==, "test");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/vsa/config/defaults", test_defaults);
  g_test_add_func ("/vsa/config/cursor", test_cursor);
  g_test_add_func ("/vsa/config/environment", test_environment);
  g_test_add_func ("/vsa/config/file/all", test_file);
  g_test_add_func ("/vsa/config/flags/all", test_flags);
  g_test_add_func ("/vsa/config/flags/equals-form", test_flags_equals_form);
  g_test_add_func ("/vsa/config/flags/version", test_version);
  g_test_add_func ("/vsa/config/precedence/flag-over-env", test_precedence_flag_over_env);
  g_test_add_func ("/vsa/config/precedence/env-over-file", test_precedence_env_over_file);
  g_test_add_func ("/vsa/config/precedence/env-over-file-per-setting",
                   test_precedence_env_over_file_per_setting);
  g_test_add_func ("/vsa/config/precedence/flag-over-file", test_precedence_flag_over_file);
  g_test_add_func ("/vsa/config/precedence/file-over-default",
                   test_precedence_file_over_default_partial);
  g_test_add_func ("/vsa/config/url/normalised", test_url_normalised);
  g_test_add_func ("/vsa/config/url/normalised-from-file", test_url_normalised_from_file);
  g_test_add_func ("/vsa/config/url/invalid", test_url_invalid);
  g_test_add_func ("/vsa/config/url/invalid-from-env", test_url_invalid_from_env);
  g_test_add_func ("/vsa/config/missing/session-id", test_missing_session_id);
  g_test_add_func ("/vsa/config/missing/controller-url", test_missing_controller_url);
  g_test_add_func ("/vsa/config/fps/range", test_fps_range);
  g_test_add_func ("/vsa/config/fps/invalid", test_fps_invalid);
  g_test_add_func ("/vsa/config/codecs/invalid", test_codecs_invalid);
  g_test_add_func ("/vsa/config/codecs/offer", test_codecs_offer);
  g_test_add_func ("/vsa/config/source/invalid", test_source_invalid);
  g_test_add_func ("/vsa/config/token", test_token);
  g_test_add_func ("/vsa/config/token/invalid", test_token_invalid);
  g_test_add_func ("/vsa/config/bitrate/invalid", test_bitrate_invalid);
  g_test_add_func ("/vsa/config/min-bitrate/bounds", test_min_bitrate);
  g_test_add_func ("/vsa/config/start-bitrate/bounds", test_start_bitrate);
  g_test_add_func ("/vsa/config/ice-servers-max-age/invalid", test_ice_servers_max_age_invalid);
  g_test_add_func ("/vsa/config/flags/garbage", test_flag_garbage);
  g_test_add_func ("/vsa/config/flags/malformed", test_flag_malformed);
  g_test_add_func ("/vsa/config/file/missing", test_config_file_missing);
  g_test_add_func ("/vsa/config/file/syntax-error", test_config_file_syntax_error);
  g_test_add_func ("/vsa/config/file/default-absent", test_config_file_default_absent);
  g_test_add_func ("/vsa/config/file/unknown-key", test_config_file_unknown_key);
  g_test_add_func ("/vsa/config/agent/unknown-option", test_agent_unknown_option);
  g_test_add_func ("/vsa/config/agent/bad-value", test_agent_bad_value);
  g_test_add_func ("/vsa/config/agent/unknown-key", test_agent_unknown_key);
  g_test_add_func ("/vsa/config/agent/listen-open", test_agent_listen_open);
  g_test_add_func ("/vsa/config/agent/help", test_agent_help);
  g_test_add_func ("/vsa/config/file/bad-value-overridden", test_config_file_bad_value_overridden);
  g_test_add_func ("/vsa/config/source/to-string", test_source_kind_to_string);
  g_test_add_func ("/vsa/config/encoder", test_encoder);
  g_test_add_func ("/vsa/config/metrics-listen", test_metrics_listen);
  g_test_add_func ("/vsa/config/metrics-listen/invalid", test_metrics_listen_invalid);
  g_test_add_func ("/vsa/config/listen", test_listen);
  g_test_add_func ("/vsa/config/listen/open", test_listen_open);
  g_test_add_func ("/vsa/config/input", test_input);
  g_test_add_func ("/vsa/config/standalone-lists", test_standalone_lists);

  return g_test_run ();
}
