/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The viewer page's input, end to end with real input: the VM's X server (:A) where the
 * agent (standalone, --listen) captures and injects, covered by a recorder window of the
 * test's own in a colour of its own; the user's X server (:B) where a windowed browser
 * (Chromium, Firefox) shows the page, driven by xdotool as a user would. Passes when what
 * xdotool clicks and types on :B arrives in the recorder on :A. The page's own controls
 * are checked on :B's screen (the README's picture is tests/test-demo.c's).
 * Touch and the keyboard lock in full screen are Chromium's alone, through its DevTools
 * protocol (Firefox has neither navigator.keyboard.lock nor a way to send touches).
 *
 * Runs under tests/netns-run. Needs: xvfb, xdotool, xclip, openbox, chromium and/or
 * firefox-esr. */

#include "vsa-test-browser.h"
#include "vsa-test-cdp.h"
#include "vsa-test-recorder.h"
#include "vsa-test-util.h"

#include <string.h>
#include <xcb/xcb.h>

#define VM_WIDTH 640
#define VM_HEIGHT 480
#define USER_WIDTH 1024
#define USER_HEIGHT 768
/* The recorder's colour (0xRRGGBB in Xvfb's 24-bit TrueColor), unlike anything else. */
#define RECORDER_RGB 0x30c050
#define VIDEO_WAIT_MS 60000
#define EVENT_WAIT_MS 10000

typedef struct
{
  char *tmp_dir;
  VsaTestXvfb *vm;           /* :A */
  VsaTestXvfb *user;         /* :B */
  VsaTestRecorder *recorder; /* on :A */
  GSubprocess *agent;
  char *agent_log;
  GSubprocess *browser;
  char *browser_log;
  char *url;
  gboolean window_manager; /* start_all() puts openbox on :B */
  GSubprocess *openbox;
} Fixture;

/* Waits for an event on :A after index *from (moved past it); NULL (and the test failed)
 * if none came. keysym2 is another keysym accepted. */
static const VsaTestRecorded *
expect_event (Fixture *fixture, guint8 type, guint8 detail, guint32 keysym, guint32 keysym2,
              guint *from)
{
  return vsa_test_recorder_expect (fixture->recorder, type, detail, keysym, keysym2, from,
                                   EVENT_WAIT_MS);
}

/* ---- The user's side on :B. ---- */

static gboolean
have_program (const char *name)
{
  g_autofree char *path = g_find_program_in_path (name);

  return path != NULL;
}

/* Runs a program with DISPLAY set to display; FALSE (and the test failed) unless it exits
 * 0 within 10 s. */
static gboolean
run_on (const char *display, const char *const *args)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;

  g_ptr_array_add (argv, g_strdup ("env"));
  g_ptr_array_add (argv, g_strconcat ("DISPLAY=", display, NULL));
  for (gsize i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  g_ptr_array_add (argv, NULL);
  if (!vsa_test_run ((const char *const *) argv->pdata, 10000, &error))
    {
      g_test_fail_printf ("%s: %s", args[0], error->message);
      return FALSE;
    }
  return TRUE;
}

typedef struct
{
  Fixture *fixture;
  xcb_connection_t *conn; /* to :B */
  gint x0, y0, x1, y1;    /* the recorder's colour's bounding box on :B */
} VideoSearch;

/* Reads :B's screen: TRUE once a good part of it shows the recorder's colour. */
static gboolean
video_is_shown (gpointer data)
{
  VideoSearch *search = data;
  VsaTestColorBox box;

  vsa_test_recorder_poll (search->fixture->recorder); /* keeps the recorder's queue short */
  if (!vsa_test_find_color (search->conn, USER_WIDTH, USER_HEIGHT, RECORDER_RGB, &box))
    return FALSE;
  search->x0 = box.x0;
  search->y0 = box.y0;
  search->x1 = box.x1;
  search->y1 = box.y1;
  /* a quarter of the screen at least */
  return box.share >= 0.25;
}

/* ---- Set-up. ---- */

/* TRUE once a window manager runs on the display conn is connected to (it has set the
 * root's _NET_SUPPORTING_WM_CHECK). */
static gboolean
window_manager_runs (gpointer data)
{
  xcb_connection_t *conn = data;
  xcb_screen_t *screen = xcb_setup_roots_iterator (xcb_get_setup (conn)).data;
  const char *name = "_NET_SUPPORTING_WM_CHECK";
  g_autofree xcb_intern_atom_reply_t *atom
      = xcb_intern_atom_reply (conn, xcb_intern_atom (conn, FALSE, strlen (name), name), NULL);
  g_autofree xcb_get_property_reply_t *property
      = atom == NULL ? NULL
                     : xcb_get_property_reply (conn,
                                               xcb_get_property (conn, FALSE, screen->root,
                                                                 atom->atom, XCB_ATOM_WINDOW, 0, 1),
                                               NULL);

  return property != NULL && xcb_get_property_value_length (property) == 4;
}

/* openbox on :B, as on the demo's desktop and the image's; FALSE (failed) if it does not
 * come up within 10 s. */
static gboolean
start_window_manager (Fixture *fixture)
{
  g_autofree char *home = g_build_filename (fixture->tmp_dir, "openbox", NULL);
  g_autofree char *log = g_build_filename (fixture->tmp_dir, "openbox.log", NULL);
  xcb_connection_t *conn = xcb_connect (fixture->user->display, NULL);
  g_autoptr (GError) error = NULL;
  gboolean runs;

  g_assert_false (xcb_connection_has_error (conn));
  g_assert_cmpint (g_mkdir_with_parents (home, 0700), ==, 0);
  fixture->openbox = vsa_test_spawn ((const char *const[]){ "openbox", NULL },
                                     (const VsaTestEnv[]){ { "DISPLAY", fixture->user->display },
                                                           { "HOME", home },
                                                           { NULL, NULL } },
                                     log, &error);
  g_assert_no_error (error);
  runs = vsa_test_wait_until (window_manager_runs, conn, 10000);
  xcb_disconnect (conn);
  if (!runs)
    g_test_fail_printf ("openbox did not come up on %s", fixture->user->display);
  return runs;
}

static gboolean
find_url (gpointer data)
{
  Fixture *fixture = data;
  g_autofree char *log = NULL;
  const char *start, *end;

  if (!g_file_get_contents (fixture->agent_log, &log, NULL, NULL))
    return FALSE;
  start = strstr (log, "viewer on ");
  if (start == NULL)
    return !vsa_test_process_is_running (fixture->agent);
  start += strlen ("viewer on ");
  end = strchr (start, ',');
  if (end == NULL)
    return FALSE;
  fixture->url = g_strndup (start, (gsize) (end - start));
  return TRUE;
}

static void
fixture_set_up (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fixture->tmp_dir = g_dir_make_tmp ("vsa-viewer-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->agent_log = g_build_filename (fixture->tmp_dir, "agent.log", NULL);
  fixture->browser_log = g_build_filename (fixture->tmp_dir, "browser.log", NULL);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer data)
{
  vsa_test_process_stop (fixture->browser, 5000);
  if (fixture->browser != NULL && (g_test_failed () || g_test_verbose ()))
    vsa_test_print_log_tail (fixture->browser_log, 4000);
  g_clear_object (&fixture->browser);
  vsa_test_process_stop (fixture->openbox, 5000);
  g_clear_object (&fixture->openbox);
  vsa_test_process_stop (fixture->agent, 5000);
  if (fixture->agent != NULL && (g_test_failed () || g_test_verbose ()))
    vsa_test_print_log_tail (fixture->agent_log, 8000);
  g_clear_object (&fixture->agent);
  g_clear_pointer (&fixture->recorder, vsa_test_recorder_free);
  g_clear_pointer (&fixture->user, vsa_test_xvfb_free);
  g_clear_pointer (&fixture->vm, vsa_test_xvfb_free);
  vsa_test_rm_rf (fixture->tmp_dir);
  g_free (fixture->tmp_dir);
  g_free (fixture->agent_log);
  g_free (fixture->browser_log);
  g_free (fixture->url);
}

/* Both X servers, the recorder, the agent and the browser showing the VM's screen; FALSE
 * (failed or skipped) otherwise. *search gets where on :B. */
static gboolean
start_all (Fixture *fixture, VsaTestBrowser browser, VideoSearch *search)
{
  const char *agent_bin = g_getenv ("VSA_AGENT_BIN");
  g_autofree char *program = vsa_test_browser_find (browser);
  g_autofree char *display_arg = NULL;
  g_autofree char *browser_dir = NULL;
  g_autoptr (GError) error = NULL;

  if (program == NULL)
    {
      g_test_skip_printf ("%s is not installed", vsa_test_browser_name (browser));
      return FALSE;
    }
  if (!have_program ("xdotool") || (fixture->window_manager && !have_program ("openbox")))
    {
      g_test_skip ("xdotool or openbox is not installed");
      return FALSE;
    }
  if (agent_bin == NULL)
    {
      g_test_fail_printf ("VSA_AGENT_BIN must be set (meson test does)");
      return FALSE;
    }
  fixture->vm = vsa_test_xvfb_start (VM_WIDTH, VM_HEIGHT, &error);
  g_assert_no_error (error);
  fixture->user = vsa_test_xvfb_start (USER_WIDTH, USER_HEIGHT, &error);
  g_assert_no_error (error);
  if (fixture->window_manager && !start_window_manager (fixture))
    return FALSE;
  fixture->recorder
      = vsa_test_recorder_new (fixture->vm->display, VM_WIDTH, VM_HEIGHT, RECORDER_RGB);

  display_arg = g_strconcat ("--display=", fixture->vm->display, NULL);
  fixture->agent
      = vsa_test_spawn ((const char *const[]){ agent_bin, "--listen", "127.0.0.1:0", display_arg,
                                               "--source=x11", "--verbose", NULL },
                        (const VsaTestEnv[]){ { "DISPLAY", fixture->vm->display }, { NULL, NULL } },
                        fixture->agent_log, &error);
  g_assert_no_error (error);
  if (!vsa_test_wait_until (find_url, fixture, 10000) || fixture->url == NULL)
    {
      g_test_fail_printf ("the agent gave no viewer URL");
      return FALSE;
    }
  browser_dir = g_build_filename (fixture->tmp_dir, "browser", NULL);
  fixture->browser = vsa_test_browser_start_windowed (browser, program, fixture->url, browser_dir,
                                                      fixture->user->display, USER_WIDTH,
                                                      USER_HEIGHT, fixture->browser_log, &error);
  g_assert_no_error (error);

  search->fixture = fixture;
  search->conn = xcb_connect (fixture->user->display, NULL);
  g_assert_false (xcb_connection_has_error (search->conn));
  if (!vsa_test_wait_until (video_is_shown, search, VIDEO_WAIT_MS))
    {
      g_test_fail_printf ("the browser on %s showed no video of %s within %d ms",
                          fixture->user->display, fixture->vm->display, VIDEO_WAIT_MS);
      return FALSE;
    }
  g_test_message ("video at %d,%d-%d,%d on %s", search->x0, search->y0, search->x1, search->y1,
                  fixture->user->display);
  return TRUE;
}

/* start_all(), then a click at the picture's centre, as a user does first (the page then
 * has the keyboard, and the click arriving shows the input channel open): *press gets
 * it as recorded on :A, *from moves past its release. FALSE (failed or skipped) otherwise. */
static gboolean
start_and_click (Fixture *fixture, VsaTestBrowser browser, VsaTestRecorded *press, guint *from)
{
  VideoSearch search = { 0 };
  g_autofree char *x = NULL, *y = NULL;
  const VsaTestRecorded *event;
  gboolean started = start_all (fixture, browser, &search);

  g_clear_pointer (&search.conn, xcb_disconnect);
  if (!started)
    return FALSE;
  x = g_strdup_printf ("%d", (search.x0 + search.x1) / 2);
  y = g_strdup_printf ("%d", (search.y0 + search.y1) / 2);
  if (!run_on (fixture->user->display,
               (const char *const[]){ "xdotool", "mousemove", x, y, "click", "1", NULL }))
    return FALSE;
  event = expect_event (fixture, XCB_BUTTON_PRESS, 1, 0, 0, from);
  if (event == NULL)
    return FALSE;
  *press = *event;
  return expect_event (fixture, XCB_BUTTON_RELEASE, 1, 0, 0, from) != NULL;
}

/* ---- The test. ---- */

typedef struct
{
  const char *display;
  const char *expected;
  char *text; /* the CLIPBOARD's text on display, or NULL */
} ClipboardRead;

static gboolean
clipboard_is (gpointer data)
{
  ClipboardRead *read = data;

  g_free (read->text);
  read->text = vsa_test_xclip_output (
      read->display, (const char *const[]){ "-selection", "clipboard", NULL }, 2000);
  return g_strcmp0 (read->text, read->expected) == 0;
}

static void
stop_process (gpointer process)
{
  vsa_test_process_stop (process, 5000);
  g_object_unref (process);
}

static void expect_clipboard (const char *display, const char *expected, const char *what);

/* Puts text on display's CLIPBOARD as another client would (kept in copiers), and waits
 * until it is there. */
static void
copy_on (GPtrArray *copiers, const char *display, const char *text)
{
  g_ptr_array_add (copiers, vsa_test_xclip_copy (display, NULL, text, strlen (text)));
  expect_clipboard (display, text, "the copier's");
}

static void
expect_clipboard (const char *display, const char *expected, const char *what)
{
  ClipboardRead read = { display, expected, NULL };

  if (!vsa_test_wait_until (clipboard_is, &read, EVENT_WAIT_MS))
    g_test_fail_printf ("%s CLIPBOARD is \"%s\", not \"%s\"", what,
                        read.text != NULL ? read.text : "(none)", expected);
  g_free (read.text);
}

/* The user's clipboard on :B, pasted with Ctrl+V, is the VM's CLIPBOARD on :A; then what
 * a VM client copies (after the user's Ctrl+C, which lets the page write the clipboard)
 * is the user's. */
static void
check_clipboard (Fixture *fixture)
{
  g_autoptr (GPtrArray) copiers = g_ptr_array_new_with_free_func (stop_process);

  copy_on (copiers, fixture->user->display, "pasted \u2713");
  if (g_test_failed ()
      || !run_on (fixture->user->display,
                  (const char *const[]){ "xdotool", "key", "ctrl+v", NULL }))
    return;
  expect_clipboard (fixture->vm->display, "pasted \u2713", "the VM's");
  if (g_test_failed ()
      || !run_on (fixture->user->display,
                  (const char *const[]){ "xdotool", "key", "ctrl+c", NULL }))
    return;
  copy_on (copiers, fixture->vm->display, "copied in the VM \u2713");
  expect_clipboard (fixture->user->display, "copied in the VM \u2713", "the user's");
}

#define XK_Cyrillic_zhe 0x6c6
#define XK_U_zhe 0x1000436

static void
test_input (Fixture *fixture, gconstpointer data)
{
  VsaTestRecorded press;
  const char *display;
  guint from = 0;

  if (!start_and_click (fixture, GPOINTER_TO_INT (data), &press, &from))
    return;
  display = fixture->user->display;
  /* the click at the picture's centre lands near the VM screen's */
  g_test_message ("click at %d,%d", press.x, press.y);
  g_assert_cmpint (ABS (press.x - VM_WIDTH / 2), <=, VM_WIDTH / 20);
  g_assert_cmpint (ABS (press.y - VM_HEIGHT / 2), <=, VM_HEIGHT / 20);

  /* Typed keys arrive in order, a Cyrillic one too: the user's F12 key types ж (as on a
   * Russian layout; the VM's US map has no ж). Not xdotool's own way for a keysym the map
   * lacks, a spare keycode mapped for a moment: a browser that reads the event after the
   * mapping is undone sees no character (Firefox under load). */
  if (!run_on (display, (const char *const[]){ "xmodmap", "-e",
                                               "keycode 96 = Cyrillic_zhe Cyrillic_ZHE", NULL })
      || !run_on (display,
                  (const char *const[]){ "xdotool", "type", "--delay", "50", "aZж", NULL }))
    return;
  if (expect_event (fixture, XCB_KEY_PRESS, 0, 'a', 0, &from) == NULL
      || expect_event (fixture, XCB_KEY_PRESS, 0, 'Z', 0, &from) == NULL
      || expect_event (fixture, XCB_KEY_PRESS, 0, XK_Cyrillic_zhe, XK_U_zhe, &from) == NULL)
    return;

  /* AltGr on a German keymap: the browser composes '@', the VM gets it (the browser's
   * AltGraph keydown is not sent) */
  g_assert_true (have_program ("setxkbmap")); /* x11-xkb-utils, in scripts/install-deps */
  if (run_on (display, (const char *const[]){ "setxkbmap", "de", NULL })
      && run_on (display, (const char *const[]){ "xdotool", "key", "ISO_Level3_Shift+q", NULL }))
    expect_event (fixture, XCB_KEY_PRESS, 0, '@', 0, &from);
  /* a dead key: the browser composes, the VM gets the é */
  if (!g_test_failed ()
      && run_on (display, (const char *const[]){ "xdotool", "key", "--delay", "50", "dead_acute",
                                                 "e", NULL }))
    expect_event (fixture, XCB_KEY_PRESS, 0, 0xe9, 0x10000e9, &from);
}

/* Ctrl+V: the user's clipboard goes to the VM's CLIPBOARD before the V; Ctrl+C in the VM
 * comes back. */
static void
test_clipboard (Fixture *fixture, gconstpointer data)
{
  VsaTestRecorded press;
  guint from = 0;

  g_assert_true (have_program ("xclip")); /* in scripts/install-deps */
  if (start_and_click (fixture, GPOINTER_TO_INT (data), &press, &from))
    check_clipboard (fixture);
}

typedef struct
{
  VideoSearch *search;
  gint width, height; /* the picture's size on :B wanted, give or take 4 pixels; 0: fitted */
  gint min_height;    /* fitted: at least this high */
} SizeWait;

static gboolean
video_has_size (gpointer data)
{
  SizeWait *wait = data;
  VideoSearch *search = wait->search;
  gint width = search->x1 - search->x0 + 1, height = search->y1 - search->y0 + 1;

  if (!video_is_shown (search))
    return FALSE;
  if (wait->width == 0) /* fitted: 4:3 kept, well over its size (the window's is 1024x768) */
    return width >= VM_WIDTH + 160 && ABS (width * 3 - height * 4) <= 16
           && height >= wait->min_height;
  return ABS (width - wait->width) <= 4 && ABS (height - wait->height) <= 4;
}

/* Pixels of the 40x40 square at x, y on :B that do not show the recorder's colour. */
static guint
count_not_recorder (xcb_connection_t *conn, gint x, gint y)
{
  xcb_screen_t *screen = xcb_setup_roots_iterator (xcb_get_setup (conn)).data;
  g_autofree xcb_get_image_reply_t *image = xcb_get_image_reply (
      conn, xcb_get_image (conn, XCB_IMAGE_FORMAT_Z_PIXMAP, screen->root, x, y, 40, 40, ~0u), NULL);
  guint count = 0;

  g_assert_true (image != NULL && xcb_get_image_data_length (image) >= 40 * 40 * 4);
  for (guint i = 0; i < 40 * 40; i++)
    count += !vsa_test_color_is_close (((const guint32 *) xcb_get_image_data (image))[i],
                                       RECORDER_RGB);
  return count;
}

/* The page's keys, as a user presses them: Ctrl+Alt+Shift+Z shows the picture 1:1
 * (VM_WIDTH x VM_HEIGHT on :B) and again fitted (larger here); Ctrl+Alt+Shift+S opens
 * the stats over it, which covers some of the picture; Ctrl+Alt+Shift+F makes the page full
 * screen, the bar folded: the picture gets its height. */
static void
test_controls (Fixture *fixture, gconstpointer data)
{
  VideoSearch search = { 0 };
  SizeWait wait = { &search, 0, 0, 0 };
  g_autofree char *x = NULL, *y = NULL;
  guint covered;

  if (!start_all (fixture, GPOINTER_TO_INT (data), &search))
    goto out;
  if (!vsa_test_wait_until (video_has_size, &wait, EVENT_WAIT_MS))
    {
      g_test_fail_printf ("the picture is %dx%d on :B, not fitted", search.x1 - search.x0 + 1,
                          search.y1 - search.y0 + 1);
      goto out;
    }
  g_test_message ("fitted: %dx%d", search.x1 - search.x0 + 1, search.y1 - search.y0 + 1);
  /* the page has the keyboard after a click on it, as a user does first */
  x = g_strdup_printf ("%d", (search.x0 + search.x1) / 2);
  y = g_strdup_printf ("%d", (search.y0 + search.y1) / 2);
  if (!run_on (fixture->user->display,
               (const char *const[]){ "xdotool", "mousemove", x, y, "click", "1", NULL })
      || !run_on (fixture->user->display,
                  (const char *const[]){ "xdotool", "key", "ctrl+alt+shift+z", NULL }))
    goto out;
  wait.width = VM_WIDTH;
  wait.height = VM_HEIGHT;
  if (!vsa_test_wait_until (video_has_size, &wait, EVENT_WAIT_MS))
    {
      g_test_fail_printf ("1:1: the picture is %dx%d on :B, not %dx%d", search.x1 - search.x0 + 1,
                          search.y1 - search.y0 + 1, VM_WIDTH, VM_HEIGHT);
      goto out;
    }
  if (!run_on (fixture->user->display,
               (const char *const[]){ "xdotool", "key", "ctrl+alt+shift+z", NULL }))
    goto out;
  wait.width = wait.height = 0;
  if (!vsa_test_wait_until (video_has_size, &wait, EVENT_WAIT_MS))
    {
      g_test_fail_printf ("fit again: the picture is %dx%d on :B, not fitted",
                          search.x1 - search.x0 + 1, search.y1 - search.y0 + 1);
      goto out;
    }

  /* the stats panel: the recorder's colour gives way to it at the picture's top right */
  covered = count_not_recorder (search.conn, search.x1 - 60, search.y0 + 20);
  if (covered != 0)
    {
      g_test_fail_printf ("%u pixels at the picture's top right before the stats", covered);
      goto out;
    }
  if (!run_on (fixture->user->display, (const char *const[]){ "xdotool", "mousemove", "0", "0",
                                                              "key", "ctrl+alt+shift+s", NULL }))
    goto out;
  for (gint64 end = g_get_monotonic_time () + EVENT_WAIT_MS * 1000;
       covered == 0 && g_get_monotonic_time () < end; g_usleep (100000))
    covered = count_not_recorder (search.conn, search.x1 - 60, search.y0 + 20);
  if (covered == 0)
    {
      g_test_fail_printf ("no stats panel at the picture's top right");
      goto out;
    }

  /* full screen: the bar folds away (the pointer off the top edge), the fitted picture
   * gets its height (Firefox's kiosk window is not the whole screen here) */
  wait.min_height = search.y1 - search.y0 + 1 + 24;
  if (!run_on (fixture->user->display, (const char *const[]){ "xdotool", "mousemove", x, y, "key",
                                                              "ctrl+alt+shift+f", NULL }))
    goto out;
  wait.width = wait.height = 0;
  if (!vsa_test_wait_until (video_has_size, &wait, EVENT_WAIT_MS))
    g_test_fail_printf ("full screen: the picture is %dx%d on :B, not %d high or more",
                        search.x1 - search.x0 + 1, search.y1 - search.y0 + 1, wait.min_height);
  else
    g_test_message ("full screen: %dx%d", search.x1 - search.x0 + 1, search.y1 - search.y0 + 1);
out:
  g_clear_pointer (&search.conn, xcb_disconnect);
}

/* ---- Chromium only: touch, and the keyboard locked in full screen. ---- */

#define XK_Escape 0xff1b

/* The page's DevTools, for Chromium started by start_all(); NULL (and the test failed). */
static VsaTestCdp *
connect_cdp (Fixture *fixture)
{
  g_autofree char *profile = g_build_filename (fixture->tmp_dir, "browser", "profile", NULL);
  g_autoptr (GError) error = NULL;
  VsaTestCdp *cdp = vsa_test_cdp_connect (profile, EVENT_WAIT_MS, &error);

  if (cdp == NULL)
    g_test_fail_printf ("Chromium's DevTools: %s", error->message);
  return cdp;
}

/* The numbers[n] a JavaScript expression in the page gives as an array; FALSE (and the test
 * failed) otherwise. */
static gboolean
evaluate_numbers (VsaTestCdp *cdp, const char *expression, double *numbers, guint n)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) value = vsa_test_cdp_evaluate (cdp, expression, EVENT_WAIT_MS, &error);
  g_autofree char *text = NULL;
  JsonArray *array;

  if (value == NULL)
    {
      g_test_fail_printf ("%s", error->message);
      return FALSE;
    }
  text = json_to_string (value, FALSE);
  g_test_message ("%s: %s", expression, text);
  array = JSON_NODE_HOLDS_ARRAY (value) ? json_node_get_array (value) : NULL;
  if (array == NULL || json_array_get_length (array) != n)
    {
      g_test_fail_printf ("%s gave %s", expression, text);
      return FALSE;
    }
  for (guint i = 0; i < n; i++)
    numbers[i] = json_array_get_double_element (array, i);
  return TRUE;
}

/* Sends a touch event: type, and the fingers down as "[{\"x\":…,\"y\":…},…]". */
static gboolean
touch (VsaTestCdp *cdp, const char *type, const char *points)
{
  g_autofree char *params = g_strdup_printf ("{\"type\":\"%s\",\"touchPoints\":%s}", type, points);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) result
      = vsa_test_cdp_call (cdp, "Input.dispatchTouchEvent", params, EVENT_WAIT_MS, &error);

  if (result == NULL)
    g_test_fail_printf ("%s", error->message);
  return result != NULL;
}

/* Presses of button recorded on :A at index from or later. */
static guint
count_presses (Fixture *fixture, guint8 button, guint from)
{
  guint count = 0;

  vsa_test_recorder_poll (fixture->recorder);
  for (guint i = from; i < fixture->recorder->events->len; i++)
    {
      const VsaTestRecorded *event = &g_array_index (fixture->recorder->events, VsaTestRecorded, i);

      count += event->type == XCB_BUTTON_PRESS && event->detail == button;
    }
  return count;
}

/* Two fingers 100 px apart, put down at y and dragged by dy in 10 steps, then lifted. */
static gboolean
two_finger_drag (VsaTestCdp *cdp, double x, double y, double dy)
{
  for (gint step = 0; step <= 10; step++)
    {
      double at = y + dy * step / 10;
      g_autofree char *points
          = g_strdup_printf ("[{\"x\":%.0f,\"y\":%.0f,\"id\":1},{\"x\":%.0f,\"y\":%.0f,\"id\":2}]",
                             x - 50, at, x + 50, at);

      if (!touch (cdp, step == 0 ? "touchStart" : "touchMove", points))
        return FALSE;
    }
  return touch (cdp, "touchEnd", "[]");
}

/* Touch as a phone's browser sends it (Chromium's input pipeline, from DevTools): a tap at
 * a quarter of the picture's width and three quarters of its height clicks button 1 there
 * in the VM; two fingers dragged up scroll down (button 5), dragged down scroll up (4);
 * neither clicks. */
static void
test_touch (Fixture *fixture, gconstpointer data)
{
  g_autoptr (VsaTestCdp) cdp = NULL;
  g_autofree char *points = NULL;
  const VsaTestRecorded *event;
  VsaTestRecorded press;
  double rect[4], left, top, width, height;
  guint from = 0, scroll_from;

  if (!start_and_click (fixture, VSA_TEST_BROWSER_CHROMIUM, &press, &from)
      || (cdp = connect_cdp (fixture)) == NULL)
    return;
  /* the picture, in the page's pixels (the element is the picture's size) */
  if (!evaluate_numbers (cdp,
                         "(r => [r.left, r.top, r.width, r.height])"
                         "(document.getElementById('video').getBoundingClientRect())",
                         rect, 4))
    return;
  left = rect[0];
  top = rect[1];
  width = rect[2];
  height = rect[3];
  g_assert_cmpfloat (width, >, VM_WIDTH);

  points = g_strdup_printf ("[{\"x\":%.0f,\"y\":%.0f}]", left + width / 4, top + height * 3 / 4);
  if (!touch (cdp, "touchStart", points) || !touch (cdp, "touchEnd", "[]"))
    return;
  event = expect_event (fixture, XCB_BUTTON_PRESS, 1, 0, 0, &from);
  if (event == NULL)
    return;
  g_test_message ("tap at %d,%d", event->x, event->y);
  g_assert_cmpint (ABS (event->x - VM_WIDTH / 4), <=, 3);
  g_assert_cmpint (ABS (event->y - VM_HEIGHT * 3 / 4), <=, 3);
  if (expect_event (fixture, XCB_BUTTON_RELEASE, 1, 0, 0, &from) == NULL)
    return;

  /* 200 px of the fingers are two notches of the agent's (100 px each) */
  scroll_from = from;
  if (!two_finger_drag (cdp, left + width / 2, top + height * 3 / 4, -200)
      || expect_event (fixture, XCB_BUTTON_PRESS, 5, 0, 0, &from) == NULL
      || expect_event (fixture, XCB_BUTTON_PRESS, 5, 0, 0, &from) == NULL)
    return;
  g_assert_cmpuint (count_presses (fixture, 4, scroll_from), ==, 0);
  if (!two_finger_drag (cdp, left + width / 2, top + height / 4, 200)
      || expect_event (fixture, XCB_BUTTON_PRESS, 4, 0, 0, &from) == NULL
      || expect_event (fixture, XCB_BUTTON_PRESS, 4, 0, 0, &from) == NULL)
    return;
  g_assert_cmpuint (count_presses (fixture, 5, scroll_from), ==, 2);
  g_assert_cmpuint (count_presses (fixture, 1, scroll_from), ==, 0);
}

static gboolean
is_fullscreen (gpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) value
      = vsa_test_cdp_evaluate (data, "document.fullscreenElement !== null", EVENT_WAIT_MS, &error);

  if (value == NULL)
    g_test_fail_printf ("%s", error->message);
  return value != NULL && JSON_NODE_HOLDS_VALUE (value) && json_node_get_boolean (value);
}

static gboolean
is_not_fullscreen (gpointer data)
{
  return !is_fullscreen (data);
}

/* Full screen from the page's button, clicked as a user does: the keyboard is locked, so
 * Escape goes to the VM and the page stays full screen (unlocked, Chromium takes Escape to
 * leave full screen, and the VM does not see it). With a window manager on :B: on a bare X
 * server Chromium's full screen is half done (an Escape it takes shrinks the window, and
 * the page may stay "full screen" for good). */
static void
test_keyboard_lock (Fixture *fixture, gconstpointer data)
{
  g_autoptr (VsaTestCdp) cdp = NULL;
  g_autofree char *x = NULL, *y = NULL;
  VsaTestRecorded press;
  double button[3];
  guint from = 0;

  fixture->window_manager = TRUE;
  if (!start_and_click (fixture, VSA_TEST_BROWSER_CHROMIUM, &press, &from)
      || (cdp = connect_cdp (fixture)) == NULL)
    return;
  g_assert_false (is_fullscreen (cdp));
  /* the button's centre on :B's screen: the page's pixels are the screen's (devicePixelRatio
   * 1), moved by where the page sits in the window and the window on the screen */
  if (!evaluate_numbers (cdp,
                         "(b => [window.screenX + (window.outerWidth - window.innerWidth) / 2"
                         " + b.left + b.width / 2, window.screenY + window.outerHeight"
                         " - window.innerHeight + b.top + b.height / 2, devicePixelRatio])"
                         "(document.getElementById('fullscreen-button').getBoundingClientRect())",
                         button, 3))
    return;
  g_assert_cmpfloat (button[2], ==, 1);
  x = g_strdup_printf ("%.0f", button[0]);
  y = g_strdup_printf ("%.0f", button[1]);
  if (!run_on (fixture->user->display,
               (const char *const[]){ "xdotool", "mousemove", x, y, "click", "1", NULL }))
    return;
  if (!vsa_test_wait_until (is_fullscreen, cdp, EVENT_WAIT_MS))
    {
      g_test_fail_printf ("the page is not full screen after a click on its button");
      return;
    }

  if (!run_on (fixture->user->display, (const char *const[]){ "xdotool", "key", "Escape", NULL })
      || expect_event (fixture, XCB_KEY_PRESS, 0, XK_Escape, 0, &from) == NULL
      || expect_event (fixture, XCB_KEY_RELEASE, 0, XK_Escape, 0, &from) == NULL)
    return;
  /* unlocked, Chromium leaves full screen within milliseconds of the Escape */
  if (vsa_test_wait_until (is_not_fullscreen, cdp, 2000))
    g_test_fail_printf ("Escape ended full screen: the keyboard is not locked");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/vsa/viewer/chromium/input", Fixture, GINT_TO_POINTER (VSA_TEST_BROWSER_CHROMIUM),
              fixture_set_up, test_input, fixture_tear_down);
  g_test_add ("/vsa/viewer/firefox/input", Fixture, GINT_TO_POINTER (VSA_TEST_BROWSER_FIREFOX),
              fixture_set_up, test_input, fixture_tear_down);
  g_test_add ("/vsa/viewer/chromium/clipboard", Fixture,
              GINT_TO_POINTER (VSA_TEST_BROWSER_CHROMIUM), fixture_set_up, test_clipboard,
              fixture_tear_down);
  g_test_add ("/vsa/viewer/firefox/clipboard", Fixture, GINT_TO_POINTER (VSA_TEST_BROWSER_FIREFOX),
              fixture_set_up, test_clipboard, fixture_tear_down);
  g_test_add ("/vsa/viewer/chromium/controls", Fixture, GINT_TO_POINTER (VSA_TEST_BROWSER_CHROMIUM),
              fixture_set_up, test_controls, fixture_tear_down);
  g_test_add ("/vsa/viewer/firefox/controls", Fixture, GINT_TO_POINTER (VSA_TEST_BROWSER_FIREFOX),
              fixture_set_up, test_controls, fixture_tear_down);
  g_test_add ("/vsa/viewer/chromium/touch", Fixture, NULL, fixture_set_up, test_touch,
              fixture_tear_down);
  g_test_add ("/vsa/viewer/chromium/keyboard-lock", Fixture, NULL, fixture_set_up,
              test_keyboard_lock, fixture_tear_down);
  return g_test_run ();
}
