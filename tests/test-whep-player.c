/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A WHEP player this project did not write against standalone mode's endpoint: medooze's
 * whip-whep (whep.js, from npm; scripts/install-deps puts it in PLAYER_DIR) in a headless
 * browser, on a page the test serves from another origin (another port). The player
 * POSTs its offer before gathering, so its candidates come by PATCH, and it reads
 * Location from a cross-origin response: it needs the preflight answered and the headers
 * exposed. Passes when the page decodes frames. In headless Chromium and Firefox, each
 * skipped when the browser or the player is not installed.
 *
 * Runs under tests/netns-run: all traffic stays on loopback and vsa0 (198.18.0.1). */
#include "config.h"

#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "vsa-test-browser.h"
#include "vsa-test-util.h"
#include "vsa-whep.h"

#define PLAYER_DIR "/usr/local/share/vm-stream-agent-tests/whip-whep"
#define TOKEN "pl4yer-t0ken"
#define MIN_FRAMES 30
#define VIDEO_WAIT_MS 30000

/* The player's page: whep.js views the agent's endpoint (?whep=) with the token and the
 * page posts the frames its peer connection decoded (getStats: headless Firefox counts
 * none in the video element's playback quality) to /report every 500 ms, or the error
 * that stopped the player. */
static const char page_html[]
    = "<!doctype html><meta charset=utf-8><title>whip-whep player</title>\n"
      "<video id=video muted autoplay playsinline></video>\n"
      "<script type=module>\n"
      "import { WHEPClient } from '/whep.js';\n"
      "const query = new URLSearchParams(location.search);\n"
      "let error = null;\n"
      "const report = async () => {\n"
      "  let frames = 0;\n"
      "  (await pc.getStats()).forEach((s) => {\n"
      "    if (s.type === 'inbound-rtp' && s.kind === 'video') frames = s.framesDecoded || 0;\n"
      "  });\n"
      "  fetch('/report', { method: 'POST', body: JSON.stringify({\n"
      "    frames, state: pc.connectionState, error }) });\n"
      "};\n"
      "addEventListener('unhandledrejection', (e) => { error = String(e.reason); });\n"
      "const pc = new RTCPeerConnection();\n"
      "pc.addTransceiver('video', { direction: 'recvonly' });\n"
      "pc.ontrack = (e) => { video.srcObject = new MediaStream([e.track]); };\n"
      "setInterval(report, 500);\n"
      "try {\n"
      "  await new WHEPClient().view(pc, query.get('whep'), query.get('token'));\n"
      "} catch (e) { error = String(e); }\n"
      "</script>\n";

typedef struct
{
  char *tmp_dir;
  VsaConfig *config;
  VsaWhep *whep;
  SoupServer *page_server;
  char *player_js;
  GSubprocess *browser;
  char *browser_log;
  gint64 frames;
  char *error;
  char *state;
} Fixture;

static void
fixture_set_up (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fixture->tmp_dir = g_dir_make_tmp ("vsa-whep-player-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->browser_log = g_build_filename (fixture->tmp_dir, "browser.log", NULL);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer data)
{
  vsa_test_process_stop (fixture->browser, 5000);
  if (fixture->browser != NULL && g_test_failed ())
    vsa_test_print_log_tail (fixture->browser_log, 4000);
  g_clear_object (&fixture->browser);
  g_clear_pointer (&fixture->whep, vsa_whep_free);
  g_clear_pointer (&fixture->config, vsa_config_free);
  if (fixture->page_server != NULL)
    soup_server_disconnect (fixture->page_server);
  g_clear_object (&fixture->page_server);
  vsa_test_rm_rf (fixture->tmp_dir);
  g_free (fixture->tmp_dir);
  g_free (fixture->browser_log);
  g_free (fixture->player_js);
  g_free (fixture->error);
  g_free (fixture->state);
}

static void
on_report (Fixture *fixture, SoupServerMessage *message)
{
  g_autoptr (GBytes) body
      = soup_message_body_flatten (soup_server_message_get_request_body (message));
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *report;

  soup_server_message_set_status (message, SOUP_STATUS_NO_CONTENT, NULL);
  if (!json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                                   (gssize) g_bytes_get_size (body), NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return;
  report = json_node_get_object (json_parser_get_root (parser));
  fixture->frames = json_object_get_int_member_with_default (report, "frames", 0);
  g_free (fixture->state);
  fixture->state = g_strdup (json_object_get_string_member_with_default (report, "state", ""));
  if (fixture->error == NULL && json_object_get_string_member_with_default (report, "error", NULL))
    fixture->error = g_strdup (json_object_get_string_member (report, "error"));
}

/* The page's origin: the page, the player's module, the reports. */
static void
on_page_request (SoupServer *server, SoupServerMessage *message, const char *path,
                 GHashTable *query, gpointer data)
{
  Fixture *fixture = data;

  if (g_strcmp0 (path, "/report") == 0)
    on_report (fixture, message);
  else if (g_strcmp0 (path, "/whep.js") == 0)
    {
      soup_server_message_set_status (message, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (message, "text/javascript", SOUP_MEMORY_COPY,
                                        fixture->player_js, strlen (fixture->player_js));
    }
  else if (g_strcmp0 (path, "/") == 0)
    {
      soup_server_message_set_status (message, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (message, "text/html", SOUP_MEMORY_STATIC, page_html,
                                        strlen (page_html));
    }
  else
    soup_server_message_set_status (message, SOUP_STATUS_NOT_FOUND, NULL);
}

static gboolean
has_video_or_error (gpointer data)
{
  Fixture *fixture = data;

  return fixture->frames >= MIN_FRAMES || fixture->error != NULL;
}

static void
test_player (Fixture *fixture, gconstpointer data)
{
  VsaTestBrowser browser = GPOINTER_TO_INT (data);
  g_autofree char *program = vsa_test_browser_find (browser);
  const char *dir = g_getenv ("VSA_WHEP_PLAYER_DIR");
  g_autofree char *player_path = NULL;
  g_autofree char *origin = NULL;
  g_autofree char *url = NULL;
  g_autofree char *browser_dir = NULL;
  g_autoptr (GError) error = NULL;
  GSList *uris;
  guint page_port;

  player_path = g_build_filename (dir != NULL ? dir : PLAYER_DIR, "whep.js", NULL);
  if (program == NULL)
    {
      g_test_skip_printf ("%s is not installed", vsa_test_browser_name (browser));
      return;
    }
  if (!g_file_get_contents (player_path, &fixture->player_js, NULL, NULL))
    {
      g_test_skip_printf ("no WHEP player at %s (scripts/install-deps puts it there)", player_path);
      return;
    }

  fixture->page_server = soup_server_new (NULL, NULL);
  soup_server_add_handler (fixture->page_server, NULL, on_page_request, fixture, NULL);
  g_assert_true (
      soup_server_listen_local (fixture->page_server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (fixture->page_server);
  page_port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  origin = g_strdup_printf ("http://127.0.0.1:%u", page_port);

  /* the agent's side, on a port of its own: another origin, which it allows */
  fixture->config = vsa_config_new ();
  fixture->config->session_id = g_strdup ("whep-player");
  fixture->config->source = VSA_SOURCE_TEST;
  g_strfreev (fixture->config->codecs);
  fixture->config->codecs = g_strsplit ("vp8", ",", -1);
  fixture->config->token = g_strdup (TOKEN);
  fixture->config->allow_origins = g_strsplit (origin, ",", -1);
  fixture->whep = vsa_whep_new (fixture->config);
  g_assert_true (vsa_whep_listen (fixture->whep, "127.0.0.1", 0, &error));
  g_assert_no_error (error);

  url = g_strdup_printf ("%s/?whep=http://127.0.0.1:%u/whep&token=" TOKEN, origin,
                         vsa_whep_get_port (fixture->whep));
  g_test_message ("player page %s", url);
  browser_dir = g_build_filename (fixture->tmp_dir, "browser", NULL);
  /* plain host addresses: the agent cannot resolve mDNS names */
  fixture->browser = vsa_test_browser_start (browser, program, url, browser_dir, FALSE,
                                             fixture->browser_log, &error);
  g_assert_no_error (error);

  if (!vsa_test_wait_until (has_video_or_error, fixture, VIDEO_WAIT_MS))
    g_test_fail_printf ("the player decoded %" G_GINT64_FORMAT " frames in %d ms (connection %s)",
                        fixture->frames, VIDEO_WAIT_MS,
                        fixture->state != NULL ? fixture->state : "not reported");
  else if (fixture->error != NULL)
    g_test_fail_printf ("the player failed: %s", fixture->error);
  g_test_message ("%" G_GINT64_FORMAT " frames, connection %s", fixture->frames, fixture->state);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/vsa/whep-player/chromium", Fixture, GINT_TO_POINTER (VSA_TEST_BROWSER_CHROMIUM),
              fixture_set_up, test_player, fixture_tear_down);
  g_test_add ("/vsa/whep-player/firefox", Fixture, GINT_TO_POINTER (VSA_TEST_BROWSER_FIREFOX),
              fixture_set_up, test_player, fixture_tear_down);
  return g_test_run ();
}
