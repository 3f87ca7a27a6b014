/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vsa-clipboard against a real Xvfb, with the real xclip as the other X client: it reads
 * what we own, and owns what we read. Needs xvfb and xclip. */

#include "vsa-clipboard.h"
#include "vsa-test-util.h"

#include <string.h>
#include <xcb/xcb.h>

#define WAIT_MS 5000
/* how long nothing must happen for a "no event" check */
#define QUIET_MS 500

typedef struct
{
  VsaTestXvfb *xvfb;
  VsaClipboard *clipboard;
  GPtrArray *changed; /* of char *, as reported */
  GPtrArray *servers; /* of GSubprocess: xclip -i in the foreground */
} Fixture;

static void
on_changed (VsaClipboard *clipboard, const char *text, gpointer user_data)
{
  Fixture *fixture = user_data;

  g_ptr_array_add (fixture->changed, g_strdup (text));
}

static void
fixture_set_up (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fixture->changed = g_ptr_array_new_with_free_func (g_free);
  fixture->servers = g_ptr_array_new_with_free_func (g_object_unref);
  fixture->xvfb = vsa_test_xvfb_start (320, 240, &error);
  g_assert_no_error (error);
  fixture->clipboard = vsa_clipboard_new (fixture->xvfb->display);
  g_signal_connect (fixture->clipboard, "changed", G_CALLBACK (on_changed), fixture);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer data)
{
  for (guint i = 0; i < fixture->servers->len; i++)
    vsa_test_process_stop (g_ptr_array_index (fixture->servers, i), WAIT_MS);
  g_ptr_array_unref (fixture->servers);
  g_clear_object (&fixture->clipboard);
  g_clear_pointer (&fixture->xvfb, vsa_test_xvfb_free);
  g_ptr_array_unref (fixture->changed);
}

static char *
xclip_output (Fixture *fixture, const char *const *args)
{
  return vsa_test_xclip_output (fixture->xvfb->display, args, WAIT_MS);
}

/* Another client owning CLIPBOARD with content (of target, NULL for text), until the
 * fixture ends. */
static void
xclip_serve (Fixture *fixture, const char *target, const char *content, gsize length)
{
  g_ptr_array_add (fixture->servers,
                   vsa_test_xclip_copy (fixture->xvfb->display, target, content, length));
}

typedef struct
{
  xcb_connection_t *conn;
  xcb_atom_t clipboard;
  xcb_window_t before;
} Owner;

static xcb_window_t
owner_now (Owner *owner)
{
  g_autofree xcb_get_selection_owner_reply_t *reply = xcb_get_selection_owner_reply (
      owner->conn, xcb_get_selection_owner (owner->conn, owner->clipboard), NULL);

  return reply != NULL ? reply->owner : XCB_NONE;
}

static gboolean
owner_changed (gpointer data)
{
  Owner *owner = data;
  xcb_window_t now = owner_now (owner);

  return now != XCB_NONE && now != owner->before;
}

/* Calls start(), then waits until CLIPBOARD has another owner than before it. */
static gboolean
start_and_wait_owner_change (Fixture *fixture, void (*start) (Fixture *fixture))
{
  Owner owner = { 0 };
  g_autofree xcb_intern_atom_reply_t *atom = NULL;
  gboolean changed;

  owner.conn = xcb_connect (fixture->xvfb->display, NULL);
  g_assert_false (xcb_connection_has_error (owner.conn));
  atom = xcb_intern_atom_reply (owner.conn, xcb_intern_atom (owner.conn, FALSE, 9, "CLIPBOARD"),
                                NULL);
  g_assert_nonnull (atom);
  owner.clipboard = atom->atom;
  owner.before = owner_now (&owner);
  start (fixture);
  changed = vsa_test_wait_until (owner_changed, &owner, WAIT_MS);
  xcb_disconnect (owner.conn);
  return changed;
}

static gboolean
has_changed (gpointer data)
{
  Fixture *fixture = data;

  return fixture->changed->len > 0;
}

static gboolean
never (gpointer data)
{
  return FALSE;
}

static void
settle (void)
{
  vsa_test_wait_until (never, NULL, QUIET_MS);
}

#define TEXT "héllo ж €"

static void
test_set_text_is_pasted (Fixture *fixture, gconstpointer data)
{
  const char *clipboard[] = { "-selection", "clipboard", NULL };
  const char *primary[] = { "-selection", "primary", NULL };
  const char *targets[] = { "-t", "TARGETS", "-selection", "clipboard", NULL };
  g_autofree char *out = NULL;
  g_autofree char *out_primary = NULL;
  g_autofree char *out_targets = NULL;

  g_assert_true (vsa_clipboard_set_text (fixture->clipboard, TEXT));
  out = xclip_output (fixture, clipboard);
  g_assert_cmpstr (out, ==, TEXT);
  out_primary = xclip_output (fixture, primary);
  g_assert_cmpstr (out_primary, ==, TEXT);
  out_targets = xclip_output (fixture, targets);
  g_assert_nonnull (out_targets);
  g_assert_nonnull (strstr (out_targets, "UTF8_STRING"));
  g_assert_nonnull (strstr (out_targets, "TARGETS"));
  /* not Latin-1: no STRING offered */
  g_assert_null (strstr (out_targets, "\nSTRING"));

  /* our own text is no change */
  settle ();
  g_assert_cmpuint (fixture->changed->len, ==, 0);
}

static void
test_latin1_string (Fixture *fixture, gconstpointer data)
{
  const char *string[] = { "-t", "STRING", "-selection", "clipboard", NULL };
  g_autofree char *out = NULL;

  g_assert_true (vsa_clipboard_set_text (fixture->clipboard, "café"));
  out = xclip_output (fixture, string);
  /* xclip prints the Latin-1 bytes as they came */
  g_assert_cmpstr (out, ==, "caf\xe9");
}

static void
test_other_client_copies (Fixture *fixture, gconstpointer data)
{
  const char *clipboard[] = { "-selection", "clipboard", NULL };
  const char *theirs = "from the VM ✓";
  g_autofree char *out = NULL;

  g_assert_true (vsa_clipboard_set_text (fixture->clipboard, TEXT));
  settle ();
  xclip_serve (fixture, NULL, theirs, strlen (theirs));
  g_assert_true (vsa_test_wait_until (has_changed, fixture, WAIT_MS));
  g_assert_cmpstr (g_ptr_array_index (fixture->changed, 0), ==, theirs);
  settle ();
  g_assert_cmpuint (fixture->changed->len, ==, 1);

  /* they own it now: a paste gets theirs, and ours is forgotten */
  out = xclip_output (fixture, clipboard);
  g_assert_cmpstr (out, ==, theirs);
}

/* An owner of Latin-1 STRING only: converted to UTF-8. */
static void
test_latin1_owner (Fixture *fixture, gconstpointer data)
{
  xclip_serve (fixture, "STRING", "caf\xe9", 4);
  g_assert_true (vsa_test_wait_until (has_changed, fixture, WAIT_MS));
  g_assert_cmpstr (g_ptr_array_index (fixture->changed, 0), ==, "café");
}

static void
test_refuses_bad_text (Fixture *fixture, gconstpointer data)
{
  g_autofree char *big = g_malloc (VSA_CLIPBOARD_MAX_TEXT + 2);

  memset (big, 'a', VSA_CLIPBOARD_MAX_TEXT + 1);
  big[VSA_CLIPBOARD_MAX_TEXT + 1] = '\0';
  g_assert_false (vsa_clipboard_set_text (fixture->clipboard, big));
  big[VSA_CLIPBOARD_MAX_TEXT] = '\0';
  g_assert_true (vsa_clipboard_set_text (fixture->clipboard, big));
  g_assert_false (vsa_clipboard_set_text (fixture->clipboard, "bad \xff\xfe utf-8"));
}

static void
serve_png (Fixture *fixture)
{
  static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

  xclip_serve (fixture, "image/png", png, sizeof png - 1);
}

/* A non-text owner: no "changed", and we still work. */
static void
test_non_text_owner (Fixture *fixture, gconstpointer data)
{
  const char *text = "after the image";

  g_assert_true (start_and_wait_owner_change (fixture, serve_png));
  settle ();
  g_assert_cmpuint (fixture->changed->len, ==, 0);

  /* still working */
  g_assert_true (vsa_clipboard_set_text (fixture->clipboard, text));
  {
    const char *clipboard[] = { "-selection", "clipboard", NULL };
    g_autofree char *out = xclip_output (fixture, clipboard);

    g_assert_cmpstr (out, ==, text);
  }
}

/* The display dies under us: one warning, nothing crashes. */
static void
test_display_dies (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (vsa_clipboard_set_text (fixture->clipboard, TEXT));
  g_test_expect_message (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "*went away*");
  g_assert_true (vsa_test_xvfb_stop (fixture->xvfb, &error));
  g_assert_no_error (error);
  /* the main loop sees the hang-up */
  vsa_test_wait_until (never, NULL, 2 * QUIET_MS);
  g_test_assert_expected_messages ();
  /* no assertion on the result: a slow run may reconnect, and a test running alongside
   * may have started its own Xvfb on the display number */
  vsa_clipboard_set_text (fixture->clipboard, TEXT);
}

static void
test_no_display (void)
{
  g_autoptr (VsaClipboard) clipboard = NULL;

  g_test_expect_message (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "*cannot be opened*");
  clipboard = vsa_clipboard_new (":4242");
  g_test_assert_expected_messages ();
  /* retried at most once a second, without another warning */
  g_assert_false (vsa_clipboard_set_text (clipboard, "x"));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func)                                                                            \
  g_test_add ("/clipboard/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("set-text-is-pasted", test_set_text_is_pasted);
  ADD ("latin1-string", test_latin1_string);
  ADD ("other-client-copies", test_other_client_copies);
  ADD ("latin1-owner", test_latin1_owner);
  ADD ("refuses-bad-text", test_refuses_bad_text);
  ADD ("non-text-owner", test_non_text_owner);
  ADD ("display-dies", test_display_dies);
#undef ADD
  g_test_add_func ("/clipboard/no-display", test_no_display);
  return g_test_run ();
}
