/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The user's side of the image test (tests/test-image): a windowed Chromium on an Xvfb of
 * its own, driven by xdotool as in test-viewer, opens the controller's viewer page for the
 * VM's session. The VM's own browser shows tests/data/vm-input-page.html, a text field in
 * a colour of its own that POSTs what it received to the controller's /report/vm-page.
 * Checks, one result line each on stdout ("ok WHAT" or "not ok WHAT", the first failure
 * ends the run): video is decoded; the field is seen in it; a click there focuses it; keys
 * typed on a German layout (a Cyrillic one, AltGr, a dead key) and a paste arrive in it;
 * with --video-only, the first alone. Run in the controller's network namespace; exits 1 on a
 * failure, 77 if a program is missing. Needs xvfb, chromium, xdotool, xclip, xmodmap, setxkbmap. */

#include "vsa-test-browser.h"
#include "vsa-test-recorder.h"
#include "vsa-test-util.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#define USER_WIDTH 1024
#define USER_HEIGHT 768
#define FIELD_RGB 0x30c050 /* the VM page's colour */
#define VIDEO_WAIT_MS 60000
#define FIELD_WAIT_MS 30000
#define INPUT_WAIT_MS 10000

typedef struct
{
  SoupSession *http;
  char *url; /* the controller's */
  VsaTestXvfb *user;
  GSubprocess *browser; /* the user's, on the viewer page */
  GSubprocess *copier;  /* the xclip owning the user's clipboard */
  JsonObject *viewer;   /* the latest reports, or NULL */
  JsonObject *vm_page;
  xcb_connection_t *conn; /* to the user's screen */
  VsaTestColorBox field;  /* the VM page on it */
  const char *expected;   /* the field's value waited for */
} User;

static void result (gboolean ok, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
result (gboolean ok, const char *format, ...)
{
  va_list args;
  g_autofree char *what = NULL;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  /* UTF-8 as it is: g_print() would convert it to the locale's charset (C: ASCII) */
  printf ("%s %s\n", ok ? "ok" : "not ok", what);
  fflush (stdout);
}

/* The latest report name POSTed to the controller, NULL if none. */
static JsonObject *
get_report (User *user, const char *name)
{
  g_autofree char *url = g_strconcat (user->url, "/report/", name, NULL);
  g_autoptr (SoupMessage) message = soup_message_new ("GET", url);
  g_autofree char *text = vsa_test_http_send (user->http, message, 5000);
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (soup_message_get_status (message) != SOUP_STATUS_OK
      || !json_parser_load_from_data (parser, text, -1, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  return JSON_NODE_HOLDS_OBJECT (root) ? json_object_ref (json_node_get_object (root)) : NULL;
}

static gboolean
video_decoded (gpointer data)
{
  User *user = data;

  g_clear_pointer (&user->viewer, json_object_unref);
  user->viewer = get_report (user, "viewer");
  return user->viewer != NULL
         && json_object_get_int_member_with_default (user->viewer, "framesDecoded", 0) > 0;
}

static gboolean
field_shown (gpointer data)
{
  User *user = data;

  return vsa_test_find_color (user->conn, USER_WIDTH, USER_HEIGHT, FIELD_RGB, &user->field)
         && user->field.share >= 0.25;
}

static gboolean
field_focused (gpointer data)
{
  User *user = data;

  g_clear_pointer (&user->vm_page, json_object_unref);
  user->vm_page = get_report (user, "vm-page");
  return user->vm_page != NULL
         && json_object_get_boolean_member_with_default (user->vm_page, "focused", FALSE);
}

static gboolean
field_has_value (gpointer data)
{
  User *user = data;

  g_clear_pointer (&user->vm_page, json_object_unref);
  user->vm_page = get_report (user, "vm-page");
  return user->vm_page != NULL
         && g_strcmp0 (json_object_get_string_member_with_default (user->vm_page, "value", ""),
                       user->expected)
                == 0;
}

static const char *
field_value (User *user)
{
  return user->vm_page != NULL
             ? json_object_get_string_member_with_default (user->vm_page, "value", "(none)")
             : "(no report)";
}

/* Runs a program on the user's display; FALSE (with a result line) unless it exits 0. */
static gboolean
run_on_user (User *user, const char *const *args)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;

  g_ptr_array_add (argv, g_strdup ("env"));
  g_ptr_array_add (argv, g_strconcat ("DISPLAY=", user->user->display, NULL));
  g_ptr_array_add (argv, g_strdup ("LC_ALL=C.UTF-8")); /* xdotool reads its text in it */
  for (gsize i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  g_ptr_array_add (argv, NULL);
  if (vsa_test_run ((const char *const *) argv->pdata, 10000, &error))
    return TRUE;
  result (FALSE, "%s: %s", args[0], error->message);
  return FALSE;
}

/* Keys on the user's display (xdotool's arguments), then the field's value is expected;
 * FALSE (with a result line) otherwise. */
static gboolean
type_and_expect (User *user, const char *what, const char *const *xdotool, const char *expected)
{
  user->expected = expected;
  if (!run_on_user (user, xdotool))
    return FALSE;
  if (vsa_test_wait_until (field_has_value, user, INPUT_WAIT_MS))
    return TRUE;
  result (FALSE, "%s: the VM browser's field has \"%s\", not \"%s\"", what, field_value (user),
          expected);
  /* what the viewer page sent on its input channel */
  g_clear_pointer (&user->viewer, json_object_unref);
  user->viewer = get_report (user, "viewer");
  if (user->viewer != NULL && json_object_has_member (user->viewer, "input"))
    {
      g_autofree char *input
          = json_to_string (json_object_get_member (user->viewer, "input"), FALSE);

      g_printerr ("the viewer's input: %s\n", input);
    }
  return FALSE;
}

static gboolean
clipboard_is (gpointer data)
{
  User *user = data;
  g_autofree char *text = vsa_test_xclip_output (
      user->user->display, (const char *const[]){ "-selection", "clipboard", NULL }, 2000);

  return g_strcmp0 (text, user->expected) == 0;
}

/* Every check in order; FALSE at the first failure (its result line printed). */
static gboolean
run (User *user, const char *session, gboolean video_only, const char *dir)
{
  static const char *const programs[] = { "xdotool", "xclip", "xmodmap", "setxkbmap" };
  /* On the user's German layout, with ж on the F12 key (as a Russian layout has it):
   * AltGr+Q is @, AltGr+E €, and ^ then e composes ê in the user's browser. None of ж, @,
   * €, ê is at a Shift level of the VM's German map: the agent lends each a spare
   * keycode. */
  static const char *const typed = "aZж@€ê";
  static const char *const pasted = "pasted ✓ ß";
  g_autofree char *program = vsa_test_browser_find (VSA_TEST_BROWSER_CHROMIUM);
  g_autofree char *viewer_url = NULL;
  g_autofree char *browser_dir = g_build_filename (dir, "browser", NULL);
  g_autofree char *browser_log = g_build_filename (dir, "browser.log", NULL);
  g_autofree char *x = NULL, *y = NULL;
  g_autofree char *after = g_strconcat (typed, pasted, NULL);
  g_autoptr (GError) error = NULL;
  JsonObject *times;
  JsonArray *pastes;
  gboolean ok;

  for (gsize i = 0; i < G_N_ELEMENTS (programs); i++)
    {
      g_autofree char *path = g_find_program_in_path (programs[i]);

      if (path == NULL)
        {
          g_printerr ("vsa-image-user: %s is not installed\n", programs[i]);
          exit (77);
        }
    }
  if (program == NULL)
    {
      g_printerr ("vsa-image-user: chromium is not installed\n");
      exit (77);
    }
  user->user = vsa_test_xvfb_start (USER_WIDTH, USER_HEIGHT, &error);
  if (user->user == NULL)
    {
      result (FALSE, "the user's Xvfb: %s", error->message);
      return FALSE;
    }
  user->conn = xcb_connect (user->user->display, NULL);
  if (!run_on_user (user, (const char *const[]){ "setxkbmap", "de", NULL })
      || !run_on_user (user, (const char *const[]){
                                 "xmodmap", "-e", "keycode 96 = Cyrillic_zhe Cyrillic_ZHE", NULL }))
    return FALSE;

  viewer_url = g_strdup_printf ("%s/?session=%s&report=viewer", user->url, session);
  user->browser = vsa_test_browser_start_windowed (VSA_TEST_BROWSER_CHROMIUM, program, viewer_url,
                                                   browser_dir, user->user->display, USER_WIDTH,
                                                   USER_HEIGHT, browser_log, &error);
  if (user->browser == NULL)
    {
      result (FALSE, "chromium: %s", error->message);
      return FALSE;
    }
  ok = vsa_test_wait_until (video_decoded, user, VIDEO_WAIT_MS);
  times = user->viewer != NULL && json_object_has_member (user->viewer, "times")
              ? json_object_get_object_member (user->viewer, "times")
              : NULL;
  result (ok, "video: first frame decoded %" G_GINT64_FORMAT " ms after the viewer page loaded",
          times != NULL ? json_object_get_int_member_with_default (times, "firstFrame", -1) : -1);
  if (!ok)
    {
      vsa_test_print_log_tail (browser_log, 4000);
      return FALSE;
    }
  if (video_only)
    return TRUE;
  if (!vsa_test_wait_until (field_shown, user, FIELD_WAIT_MS))
    {
      result (FALSE, "the VM browser's page is in the video (%.0f %% of the screen)",
              user->field.share * 100);
      return FALSE;
    }
  result (TRUE, "the VM browser's page is in the video at %d,%d-%d,%d", user->field.x0,
          user->field.y0, user->field.x1, user->field.y1);

  /* The click focuses the viewer page (it then takes the keyboard) and, in the VM, the
   * field. */
  x = g_strdup_printf ("%d", (user->field.x0 + user->field.x1) / 2);
  y = g_strdup_printf ("%d", (user->field.y0 + user->field.y1) / 2);
  if (!run_on_user (user,
                    (const char *const[]){ "xdotool", "mousemove", x, y, "click", "1", NULL }))
    return FALSE;
  ok = vsa_test_wait_until (field_focused, user, INPUT_WAIT_MS);
  result (ok, "a click into the video focuses the VM browser's text field");
  if (!ok)
    return FALSE;

  if (!type_and_expect (user, "a, Z, ж",
                        (const char *const[]){ "xdotool", "type", "--delay", "100", "aZж", NULL },
                        "aZж")
      || !type_and_expect (user, "AltGr+Q",
                           (const char *const[]){ "xdotool", "key", "ISO_Level3_Shift+q", NULL },
                           "aZж@")
      || !type_and_expect (user, "AltGr+E",
                           (const char *const[]){ "xdotool", "key", "ISO_Level3_Shift+e", NULL },
                           "aZж@€")
      || !type_and_expect (
          user, "dead circumflex, e",
          (const char *const[]){ "xdotool", "key", "--delay", "100", "dead_circumflex", "e", NULL },
          typed))
    return FALSE;
  result (TRUE, "typed on a German layout: \"%s\" is the field's value", typed);

  user->expected = pasted;
  user->copier = vsa_test_xclip_copy (user->user->display, NULL, pasted, strlen (pasted));
  if (!vsa_test_wait_until (clipboard_is, user, INPUT_WAIT_MS))
    {
      result (FALSE, "the user's clipboard has the text to paste");
      return FALSE;
    }
  if (!type_and_expect (user, "Ctrl+V", (const char *const[]){ "xdotool", "key", "ctrl+v", NULL },
                        after))
    return FALSE;
  pastes = json_object_has_member (user->vm_page, "pastes")
               ? json_object_get_array_member (user->vm_page, "pastes")
               : NULL;
  ok = pastes != NULL && json_array_get_length (pastes) == 1
       && g_strcmp0 (json_array_get_string_element (pastes, 0), pasted) == 0;
  result (ok, "pasted \"%s\": one paste event of it, the field's value \"%s\"", pasted, after);
  return ok;
}

int
main (int argc, char **argv)
{
  g_autofree char *url = NULL;
  g_autofree char *session = NULL;
  gboolean video_only = FALSE;
  const GOptionEntry entries[] = {
    { "controller", 0, 0, G_OPTION_ARG_STRING, &url, "The controller's URL", "URL" },
    { "session", 0, 0, G_OPTION_ARG_STRING, &session, "The VM's session", "ID" },
    { "video-only", 0, 0, G_OPTION_ARG_NONE, &video_only, "Only check that video arrives", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("- the image test's user");
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;
  User user = { 0 };
  gboolean ok;

  setlocale (LC_ALL, ""); /* the messages of GLib's g_print() in UTF-8 where it is the locale */
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || url == NULL || session == NULL)
    {
      g_printerr ("vsa-image-user: %s\n",
                  error != NULL ? error->message : "--controller and --session are needed");
      return 2;
    }
  dir = g_dir_make_tmp ("vsa-image-user-XXXXXX", &error);
  g_assert_no_error (error);
  user.url = url;
  user.http = soup_session_new ();
  ok = run (&user, session, video_only, dir);
  vsa_test_process_stop (user.copier, 5000);
  g_clear_object (&user.copier);
  vsa_test_process_stop (user.browser, 5000);
  g_clear_object (&user.browser);
  g_clear_pointer (&user.conn, xcb_disconnect);
  g_clear_pointer (&user.user, vsa_test_xvfb_free);
  g_clear_pointer (&user.viewer, json_object_unref);
  g_clear_pointer (&user.vm_page, json_object_unref);
  g_object_unref (user.http);
  vsa_test_rm_rf (dir);
  return ok ? 0 : 1;
}
