/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef gboolean (*VsaTestDoneFunc) (gpointer user_data);

/* VSA_TEST_TIMEOUT_MULTIPLIER, else 1: slow runs (the valgrind test setup) scale every wait
 * and every timeout the tests give the agent by it. */
guint vsa_test_timeout_multiplier (void);
/* In a slow run (the valgrind setup) skips the test and returns TRUE: for a test paced by
 * the agent's own fixed timeouts, which valgrind outruns; the normal and ASan runs cover
 * it. Each caller says why next to the call. */
gboolean vsa_test_skipped_under_valgrind (void);

/* Iterates the thread-default main context until done() or timeout_ms (times the
 * multiplier); FALSE on timeout.
 * done() is checked at least every 50 ms, so it may watch state other threads change. */
gboolean vsa_test_wait_until (VsaTestDoneFunc done, gpointer user_data, guint timeout_ms);

/* A VsaTestDoneFunc: TRUE once *(gboolean *) user_data is. */
gboolean vsa_test_flag_is_set (gpointer user_data);

/* Watches the agent's ("vsa") debug messages, which it then swallows, for one containing
 * needle: seen is set once one came (a flag for vsa_test_flag_is_set()). */
typedef struct
{
  const char *needle;
  gboolean seen;
  guint handler;
} VsaTestLogWatch;

void vsa_test_log_watch_start (VsaTestLogWatch *watch, const char *needle);
void vsa_test_log_watch_stop (VsaTestLogWatch *watch);

/* Sends message on the thread-default context (which also runs the server under test)
 * and reads the whole response within timeout_ms; the body as text. */
char *vsa_test_http_send (SoupSession *session, SoupMessage *message, guint timeout_ms);

typedef struct
{
  const char *name;
  const char *value;
} VsaTestEnv;

/* A child the test owns, with the test's environment plus env (ending with a NULL name;
 * env may be NULL). Its stdout and stderr go to log_path when given, else to the test's
 * stderr (never to stdout, which carries TAP). It gets SIGTERM if the test dies. */
GSubprocess *vsa_test_spawn (const char *const *argv, const VsaTestEnv *env, const char *log_path,
                             GError **error);
/* Waits at most timeout_ms for the child to exit; TRUE if it has. */
gboolean vsa_test_process_wait (GSubprocess *process, guint timeout_ms);
gboolean vsa_test_process_is_running (GSubprocess *process);
/* SIGTERM, then SIGKILL after timeout_ms. process may be NULL. */
void vsa_test_process_stop (GSubprocess *process, guint timeout_ms);
/* Runs argv to completion within timeout_ms; FALSE unless it exits 0. */
gboolean vsa_test_run (const char *const *argv, guint timeout_ms, GError **error);

typedef struct
{
  GSubprocess *process;
  char *display; /* ":N" */
  guint number;  /* N */
} VsaTestXvfb;

/* Xvfb (width x height x 24, -noreset so that the screen keeps what xsetroot painted)
 * on the first free display from :99. */
VsaTestXvfb *vsa_test_xvfb_start (guint width, guint height, GError **error);
/* The same with more arguments for Xvfb (NULL-terminated), e.g. "-extension", "RANDR". */
VsaTestXvfb *vsa_test_xvfb_start_with (guint width, guint height, const char *const *extra_args,
                                       GError **error);
/* The same on display :number; G_IO_ERROR_EXISTS if that display is taken. */
VsaTestXvfb *vsa_test_xvfb_start_on (guint number, guint width, guint height, GError **error);
/* The first display number from first on that no server holds (no socket, no lock file),
 * for a test that starts its server late or again; first + 50 if there is none. */
guint vsa_test_xvfb_free_display (guint first);
/* SIGTERM, then waits until the server exited and its socket and lock file are gone, so
 * that the display can be started again. */
gboolean vsa_test_xvfb_stop (VsaTestXvfb *self, GError **error);
/* Paints the root window, e.g. "#ff0000". */
gboolean vsa_test_xvfb_set_color (VsaTestXvfb *self, const char *color, GError **error);
void vsa_test_xvfb_free (VsaTestXvfb *self);

/* Runs `xclip -o args…` on display while the main context runs (so that a clipboard of
 * this process serves it); its stdout, NULL if it failed or took too long. Needs xclip. */
char *vsa_test_xclip_output (const char *display, const char *const *args, guint timeout_ms);
/* Another X client owning display's CLIPBOARD with content of target (NULL: text), as
 * `xclip -i` in the foreground: until another client takes it or the caller stops the
 * process (vsa_test_process_stop). */
GSubprocess *vsa_test_xclip_copy (const char *display, const char *target, const char *content,
                                  gsize length);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsaTestXvfb, vsa_test_xvfb_free)

G_END_DECLS
