/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* TURN: the agent as a VM behind a firewall that lets through only the controller and a
 * real TURN server (coturn), and headless Chromium on the viewer page with
 * iceTransportPolicy "relay", over TURN on UDP, on TCP and on TLS (a certificate made for
 * the test). Each case passes when the page decodes frames of the X screen's colour and
 * then of a new one, its selected candidate pair is relayed on both sides (its own
 * candidate a relay over the case's protocol, the agent's an address of the TURN server),
 * and the VM's firewall both passed the media to the TURN server and dropped the agent's
 * attempts at a direct path.
 *
 * Topology (tests/netns-run, then tests/vm-netns-run for the agent):
 *   test's namespace: vsa0 198.18.0.1 (the controller, coturn, Chromium, Xvfb)
 *                     vsavm0 198.19.0.1 ── veth ── vsa0 198.19.0.2: the VM's namespace
 *                     (the agent; iptables: only the controller's and TURN's ports)
 * X reaches the agent through the socket file in /tmp/.X11-unix (the abstract one is per
 * network namespace).
 *
 * TLS: libnice 0.1.21 (Debian 12) speaks plain TURN over TCP to a "turns:" server (it has
 * TLS only for Google's and Microsoft's pseudo-TLS dialects), so the agent's side of that
 * case is TCP to the TLS port, which coturn takes as it takes TLS there (it tells them
 * apart by the first bytes); Chromium's side is TLS and checks the certificate, which it
 * trusts from its profile's NSS database. Needs: coturn, iptables, openssl, certutil
 * (libnss3-tools), xvfb, chromium. */

#include "vsa-test-browser.h"
#include "vsa-test-controller.h"
#include "vsa-test-util.h"

#include <gio/gio.h>
#include <string.h>
#include <unistd.h>

#define TURN_ADDRESS "198.18.0.1" /* netns-run's vsa0: coturn and the controller listen there */
#define VM_ADDRESS "198.19.0.2"   /* the agent's only address: see tests/vm-netns-run */
#define TURN_PORT 3478
#define TURNS_PORT 5349
#define TURN_USER "vsa"
#define TURN_PASSWORD "turn-test-secret"

typedef struct
{
  const char *path;
  const char *url;            /* what the controller's /ice-servers gives both sides */
  const char *relay_protocol; /* how Chromium must reach the TURN server: udp, tcp, tls */
  const char *allow_protocol; /* what the VM's firewall lets through to it */
  guint port;
} TurnCase;

typedef struct
{
  char *tmp_dir;
  VsaTestXvfb *xvfb;
  VsaTestController *controller;
  GSubprocess *coturn;
  char *coturn_log;
  GSubprocess *agent;
  char *agent_log;
  GSubprocess *browser;
  char *browser_log;
} Fixture;

static void
fixture_set_up (Fixture *fixture, gconstpointer user_data)
{
  g_autoptr (GError) error = NULL;

  fixture->tmp_dir = g_dir_make_tmp ("vsa-turn-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->coturn_log = g_build_filename (fixture->tmp_dir, "coturn.log", NULL);
  fixture->agent_log = g_build_filename (fixture->tmp_dir, "agent.log", NULL);
  fixture->browser_log = g_build_filename (fixture->tmp_dir, "chromium.log", NULL);
}

static void
stop_and_report (GSubprocess **process, const char *log_path, gsize tail)
{
  if (*process == NULL)
    return;
  vsa_test_process_stop (*process, 5000);
  if (g_test_failed () || g_test_verbose ())
    vsa_test_print_log_tail (log_path, tail);
  g_clear_object (process);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer user_data)
{
  /* The browser first, so that the agent sees its peer leave; the relay and screen last. */
  stop_and_report (&fixture->browser, fixture->browser_log, 4000);
  stop_and_report (&fixture->agent, fixture->agent_log, 8000);
  stop_and_report (&fixture->coturn, fixture->coturn_log, 4000);
  /* The VM's namespace, its firewall and its veth went with the agent. */
  g_clear_pointer (&fixture->controller, vsa_test_controller_free);
  g_clear_pointer (&fixture->xvfb, vsa_test_xvfb_free);
  vsa_test_rm_rf (fixture->tmp_dir);
  g_clear_pointer (&fixture->tmp_dir, g_free);
  g_clear_pointer (&fixture->coturn_log, g_free);
  g_clear_pointer (&fixture->agent_log, g_free);
  g_clear_pointer (&fixture->browser_log, g_free);
}

/* The program's path, or NULL after skipping the test with why. */
static char *
require_program (const char *name, const char *package)
{
  char *path = g_find_program_in_path (name);

  if (path == NULL)
    {
      g_autofree char *sbin = g_build_filename ("/usr/sbin", name, NULL);

      if (g_file_test (sbin, G_FILE_TEST_IS_EXECUTABLE))
        return g_steal_pointer (&sbin);
      g_test_skip_printf ("%s is not installed (package %s; scripts/install-deps installs it)",
                          name, package);
    }
  return path;
}

/* A certificate for TURN_ADDRESS, signed by a CA of the test's own (ca.pem), as a TURN
 * service has one from a public CA. */
static gboolean
make_certificate (Fixture *fixture, GError **error)
{
  g_autofree char *ca_key = g_build_filename (fixture->tmp_dir, "ca-key.pem", NULL);
  g_autofree char *ca = g_build_filename (fixture->tmp_dir, "ca.pem", NULL);
  g_autofree char *key = g_build_filename (fixture->tmp_dir, "turn-key.pem", NULL);
  g_autofree char *csr = g_build_filename (fixture->tmp_dir, "turn.csr", NULL);
  g_autofree char *cert = g_build_filename (fixture->tmp_dir, "turn.pem", NULL);
  g_autofree char *ext = g_build_filename (fixture->tmp_dir, "turn.ext", NULL);
  const char *const make_ca[] = {
    "openssl",
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    ca_key,
    "-out",
    ca,
    "-days",
    "2",
    "-subj",
    "/CN=vsa TURN test CA",
    NULL,
  };
  const char *const make_csr[] = {
    "openssl",
    "req",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    key,
    "-out",
    csr,
    "-subj",
    "/CN=" TURN_ADDRESS,
    NULL,
  };
  const char *const sign[] = {
    "openssl",         "x509", "-req", "-in",   csr, "-CA",      ca,  "-CAkey", ca_key,
    "-CAcreateserial", "-out", cert,   "-days", "2", "-extfile", ext, NULL,
  };
  const char *extensions = "subjectAltName = IP:" TURN_ADDRESS "\n"
                           "extendedKeyUsage = serverAuth\n"
                           "basicConstraints = CA:FALSE\n";

  return g_file_set_contents (ext, extensions, -1, error) && vsa_test_run (make_ca, 10000, error)
         && vsa_test_run (make_csr, 10000, error) && vsa_test_run (sign, 10000, error);
}

typedef struct
{
  GSocketClient *client;
  const guint16 *ports;
} ListenWait;

/* Whether each TCP port takes a connection on TURN_ADDRESS (coturn opens its UDP ones
 * first). */
static gboolean
turn_listens (gpointer user_data)
{
  ListenWait *wait = user_data;

  for (gsize i = 0; wait->ports[i] != 0; i++)
    {
      g_autoptr (GSocketConnection) connection = g_socket_client_connect_to_host (
          wait->client, TURN_ADDRESS, wait->ports[i], NULL, NULL);

      if (connection == NULL)
        return FALSE;
    }
  return TRUE;
}

/* coturn on TURN_ADDRESS: TURN over UDP and TCP on TURN_PORT, over TLS on TURNS_PORT,
 * long-term credentials of one static user, relaying between the test's addresses (it
 * refuses peers in special-purpose ranges unless allowed). */
static gboolean
start_coturn (Fixture *fixture, const char *turnserver, GError **error)
{
  g_autofree char *config_path = g_build_filename (fixture->tmp_dir, "turnserver.conf", NULL);
  g_autofree char *config = g_strdup_printf ("listening-ip=" TURN_ADDRESS "\n"
                                             "relay-ip=" TURN_ADDRESS "\n"
                                             "listening-port=%u\n"
                                             "tls-listening-port=%u\n"
                                             "min-port=49152\n"
                                             "max-port=49407\n"
                                             "realm=vsa.test\n"
                                             "lt-cred-mech\n"
                                             "user=" TURN_USER ":" TURN_PASSWORD "\n"
                                             "fingerprint\n"
                                             "cert=%s/turn.pem\n"
                                             "pkey=%s/turn-key.pem\n"
                                             "no-dtls\n"
                                             "no-cli\n"
                                             "no-tlsv1\n"
                                             "no-tlsv1_1\n"
                                             "allowed-peer-ip=198.18.0.0-198.19.255.255\n"
                                             "userdb=%s/turndb\n"
                                             "pidfile=%s/turnserver.pid\n"
                                             "log-file=stdout\n"
                                             "simple-log\n"
                                             "verbose\n",
                                             TURN_PORT, TURNS_PORT, fixture->tmp_dir,
                                             fixture->tmp_dir, fixture->tmp_dir, fixture->tmp_dir);
  const char *const argv[] = { turnserver, "-c", config_path, NULL };
  static const guint16 ports[] = { TURN_PORT, TURNS_PORT, 0 };
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  ListenWait wait = { client, ports };

  if (!g_file_set_contents (config_path, config, -1, error))
    return FALSE;
  fixture->coturn = vsa_test_spawn (argv, NULL, fixture->coturn_log, error);
  if (fixture->coturn == NULL)
    return FALSE;
  g_socket_client_set_timeout (client, 1);
  if (!vsa_test_wait_until (turn_listens, &wait, 10000))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                           "coturn did not listen within 10 s");
      return FALSE;
    }
  return TRUE;
}

/* Chromium checks a TURN server's certificate as it checks a web site's: the test's CA
 * goes into the NSS database of the profile's HOME (see vsa-test-browser.c), as an
 * operator's CA would be in a managed browser. */
static gboolean
trust_ca (Fixture *fixture, const char *certutil, GError **error)
{
  g_autofree char *nssdb
      = g_build_filename (fixture->tmp_dir, "chromium", "home", ".pki", "nssdb", NULL);
  g_autofree char *db = g_strconcat ("sql:", nssdb, NULL);
  g_autofree char *ca = g_build_filename (fixture->tmp_dir, "ca.pem", NULL);
  const char *const create[] = { certutil, "-N", "-d", db, "--empty-password", NULL };
  const char *const add[] = {
    certutil, "-A", "-d", db, "-n", "vsa TURN test CA", "-t", "C,,", "-i", ca, NULL,
  };

  if (g_mkdir_with_parents (nssdb, 0700) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot make %s", nssdb);
      return FALSE;
    }
  return vsa_test_run (create, 10000, error) && vsa_test_run (add, 10000, error);
}

/* The agent in the VM's namespace, whose firewall passes only the controller's port and
 * the case's TURN port. */
static gboolean
start_agent (Fixture *fixture, const TurnCase *turn, GError **error)
{
  const char *agent_bin = g_getenv ("VSA_AGENT_BIN");
  const char *vm_netns_run = g_getenv ("VSA_VM_NETNS_RUN");
  guint controller_port = vsa_test_controller_get_port (fixture->controller);
  g_autofree char *parent = g_strdup_printf ("%d", (int) getpid ());
  g_autofree char *allow_controller = g_strdup_printf ("tcp:" TURN_ADDRESS ":%u", controller_port);
  g_autofree char *allow_turn
      = g_strdup_printf ("%s:" TURN_ADDRESS ":%u", turn->allow_protocol, turn->port);
  g_autofree char *controller_arg
      = g_strdup_printf ("--controller-url=http://" TURN_ADDRESS ":%u", controller_port);
  g_autofree char *display_arg = g_strconcat ("--display=", fixture->xvfb->display, NULL);
  const char *const argv[] = {
    vm_netns_run, parent,    "--allow",           allow_controller, "--allow",   allow_turn,
    "--",         agent_bin, "--session-id=turn", controller_arg,   display_arg, "--source=x11",
    "--verbose",  NULL,
  };

  fixture->agent = vsa_test_spawn (argv, NULL, fixture->agent_log, error);
  return fixture->agent != NULL;
}

typedef struct
{
  gint64 min_frames;
  guint8 rgb[3];
} VideoCheck;

/* Frames come from the video element, the pair and the inbound counters from the page's
 * next getStats: a loaded machine can report the one before the other. */
static gboolean
report_shows_video (JsonObject *report, gpointer user_data)
{
  VideoCheck *check = user_data;
  JsonNode *pair = json_object_get_member (report, "selectedPair");
  JsonNode *inbound = json_object_get_member (report, "inbound");

  return json_object_get_int_member_with_default (report, "frames", 0) >= check->min_frames
         && vsa_test_report_shows_color (report, check->rgb) && pair != NULL
         && JSON_NODE_HOLDS_OBJECT (pair) && inbound != NULL && JSON_NODE_HOLDS_OBJECT (inbound);
}

/* At least 3 frames of rgb, the selected pair and the inbound counters: a still screen is
 * sent once a second. */
static gboolean
expect_video (Fixture *fixture, const guint8 rgb[3], guint timeout_ms, JsonNode **report)
{
  VideoCheck check = { 3, { rgb[0], rgb[1], rgb[2] } };
  g_autoptr (JsonNode) last = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *last_text = NULL;
  gint64 start = g_get_monotonic_time ();
  gboolean done = vsa_test_wait_for_report (fixture->controller, "turn", fixture->agent,
                                            report_shows_video, &check, timeout_ms, &last, &error);

  last_text = last != NULL ? json_to_string (last, FALSE) : NULL;
  g_test_message ("%s after %.1f s; last report: %s", done ? "done" : error->message,
                  (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC,
                  last_text != NULL ? last_text : "none");
  if (!done)
    {
      g_test_fail_printf ("no 3 frames of #%02x%02x%02x, a selected pair and inbound counters "
                          "within %u s",
                          rgb[0], rgb[1], rgb[2], timeout_ms / 1000);
      return FALSE;
    }
  if (report != NULL)
    *report = g_steal_pointer (&last);
  return TRUE;
}

static const char *
pair_member (JsonObject *pair, const char *side, const char *member)
{
  JsonObject *candidate = json_object_get_object_member (pair, side);

  if (candidate == NULL || !json_object_has_member (candidate, member)
      || json_object_get_null_member (candidate, member))
    return "";
  return json_object_get_string_member_with_default (candidate, member, "");
}

/* The page's selected pair: its own candidate relayed over the case's protocol, the
 * agent's an address of the TURN server (the agent's relayed candidate: anything coturn
 * relays from is its own address), never the VM's own. */
static gboolean
expect_relayed_pair (JsonNode *report, const TurnCase *turn)
{
  JsonObject *object = json_node_get_object (report);
  JsonNode *node = json_object_get_member (object, "selectedPair");
  JsonObject *pair
      = node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;

  if (pair == NULL)
    {
      g_test_fail_printf ("the page reported no selected candidate pair");
      return FALSE;
    }
  g_test_message (
      "selected pair: local %s %s (relay over %s) %s, remote %s %s %s",
      pair_member (pair, "local", "candidateType"), pair_member (pair, "local", "protocol"),
      pair_member (pair, "local", "relayProtocol"), pair_member (pair, "local", "address"),
      pair_member (pair, "remote", "candidateType"), pair_member (pair, "remote", "protocol"),
      pair_member (pair, "remote", "address"));
  if (g_strcmp0 (pair_member (pair, "local", "candidateType"), "relay") != 0
      || g_strcmp0 (pair_member (pair, "local", "relayProtocol"), turn->relay_protocol) != 0)
    {
      g_test_fail_printf ("the browser's candidate is not relayed over %s", turn->relay_protocol);
      return FALSE;
    }
  if (g_strcmp0 (pair_member (pair, "remote", "address"), TURN_ADDRESS) != 0)
    {
      /* VM_ADDRESS here: a direct path, which the firewall should have stopped. */
      g_test_fail_printf ("the agent's candidate is %s, not on the TURN server",
                          pair_member (pair, "remote", "address"));
      return FALSE;
    }
  return TRUE;
}

typedef struct
{
  gboolean done;
  char *output;
  GError *error;
} Communicate;

static void
on_communicated (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Communicate *communicate = user_data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &communicate->output, NULL,
                                        &communicate->error);
  communicate->done = TRUE;
}

/* The VM's filter table with its counters (iptables-save -c), read in its namespace. */
static char *
vm_firewall (Fixture *fixture, const char *iptables_save, GError **error)
{
  g_autofree char *netns
      = g_strdup_printf ("--net=/proc/%s/ns/net", g_subprocess_get_identifier (fixture->agent));
  const char *const argv[] = { "nsenter", netns, iptables_save, "-c", "-t", "filter", NULL };
  g_autoptr (GSubprocess) process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, error);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  Communicate communicate = { FALSE, NULL, NULL };

  if (process == NULL)
    return NULL;
  g_subprocess_communicate_utf8_async (process, NULL, cancellable, on_communicated, &communicate);
  if (!vsa_test_wait_until (vsa_test_flag_is_set, &communicate.done, 10000))
    {
      g_cancellable_cancel (cancellable);
      g_subprocess_force_exit (process);
      /* The cancelled call still calls back; communicate must outlive it. */
      vsa_test_wait_until (vsa_test_flag_is_set, &communicate.done, 2000);
    }
  if (communicate.error != NULL)
    {
      g_propagate_error (error, communicate.error);
      g_free (communicate.output);
      return NULL;
    }
  if (!vsa_test_process_wait (process, 2000)
      || !g_spawn_check_wait_status (g_subprocess_get_status (process), error))
    {
      g_free (communicate.output);
      if (error != NULL && *error == NULL)
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "iptables-save hung");
      return NULL;
    }
  return communicate.output;
}

/* The counters of the line of iptables-save -c output that contains all of needles
 * ("[packets:bytes] -A …" or ":CHAIN POLICY [packets:bytes]"); FALSE if there is none. */
static gboolean
firewall_count (const char *save, const char *const *needles, gint64 *packets, gint64 *bytes)
{
  g_auto (GStrv) lines = g_strsplit (save, "\n", -1);

  for (gsize i = 0; lines[i] != NULL; i++)
    {
      const char *bracket = strchr (lines[i], '[');
      gboolean all = bracket != NULL;
      char *end = NULL;

      for (gsize j = 0; all && needles[j] != NULL; j++)
        all = strstr (lines[i], needles[j]) != NULL;
      if (!all)
        continue;
      *packets = g_ascii_strtoll (bracket + 1, &end, 10);
      *bytes = *end == ':' ? g_ascii_strtoll (end + 1, NULL, 10) : -1;
      return TRUE;
    }
  return FALSE;
}

/* Every byte the browser received went out of the VM to the TURN server's port, and the
 * agent did try another way (its host candidate against the browser's relayed one), which
 * the firewall dropped: ICE chose the relay with a direct path there to try. */
static gboolean
expect_firewall_used (Fixture *fixture, const TurnCase *turn, const char *iptables_save,
                      JsonNode *report)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *save = vm_firewall (fixture, iptables_save, &error);
  g_autofree char *dport = g_strdup_printf ("--dport %u", turn->port);
  const char *const to_turn[] = { "-A OUTPUT", dport, NULL };
  const char *const dropped_out[] = { ":OUTPUT DROP", NULL };
  JsonObject *inbound = json_node_get_object (
      json_object_get_member (json_node_get_object (report), "inbound")); /* expect_video's */
  gint64 received = json_object_get_int_member_with_default (inbound, "bytesReceived", 0);
  gint64 sent_packets = 0, sent_bytes = 0, dropped_packets = 0, dropped_bytes = 0;

  if (save == NULL)
    {
      g_test_fail_printf ("the VM's firewall: %s", error->message);
      return FALSE;
    }
  if (!firewall_count (save, to_turn, &sent_packets, &sent_bytes)
      || !firewall_count (save, dropped_out, &dropped_packets, &dropped_bytes))
    {
      g_printerr ("%s", save);
      g_test_fail_printf ("the VM's firewall has no rule for TURN port %u", turn->port);
      return FALSE;
    }
  g_test_message ("VM firewall: %" G_GINT64_FORMAT " packets (%" G_GINT64_FORMAT " bytes) to TURN "
                  "port %u, %" G_GINT64_FORMAT " others dropped on the way out; the browser "
                  "received %" G_GINT64_FORMAT " bytes of video",
                  sent_packets, sent_bytes, turn->port, dropped_packets, received);
  if (received <= 0 || sent_bytes < received)
    {
      g_printerr ("%s", save);
      g_test_fail_printf ("the browser's video did not all pass the TURN server's port");
      return FALSE;
    }
  if (dropped_packets < 1)
    {
      g_printerr ("%s", save);
      g_test_fail_printf ("the firewall dropped nothing: no direct path was tried");
      return FALSE;
    }
  return TRUE;
}

static const guint8 red[3] = { 255, 0, 0 };
static const guint8 blue[3] = { 0, 0, 255 };

static void
test_turn (Fixture *fixture, gconstpointer user_data)
{
  const TurnCase *turn = user_data;
  const char *viewer_dir = g_getenv ("VSA_VIEWER_DIR");
  g_autofree char *turnserver = require_program ("turnserver", "coturn");
  g_autofree char *iptables_save
      = turnserver != NULL ? require_program ("iptables-save", "iptables") : NULL;
  g_autofree char *certutil
      = iptables_save != NULL ? require_program ("certutil", "libnss3-tools") : NULL;
  g_autofree char *chromium
      = certutil != NULL ? vsa_test_browser_find (VSA_TEST_BROWSER_CHROMIUM) : NULL;
  g_autofree char *ice_servers = NULL;
  g_autofree char *page_url = NULL;
  g_autofree char *url = NULL;
  g_autofree char *browser_dir = NULL;
  g_autoptr (JsonNode) report = NULL;
  g_autoptr (JsonNode) last_report = NULL;
  g_autoptr (GError) error = NULL;

  if (certutil == NULL)
    return;
  if (chromium == NULL)
    {
      g_test_skip ("chromium is not installed");
      return;
    }
  if (g_getenv ("VSA_AGENT_BIN") == NULL || g_getenv ("VSA_VM_NETNS_RUN") == NULL
      || viewer_dir == NULL)
    {
      g_test_fail_printf ("VSA_AGENT_BIN, VSA_VM_NETNS_RUN and VSA_VIEWER_DIR must be set "
                          "(meson test does)");
      return;
    }
  if (!make_certificate (fixture, &error) || !start_coturn (fixture, turnserver, &error))
    {
      g_test_fail_printf ("TURN server: %s", error->message);
      return;
    }
  fixture->xvfb = vsa_test_xvfb_start (1280, 720, &error);
  if (fixture->xvfb == NULL || !vsa_test_xvfb_set_color (fixture->xvfb, "#ff0000", &error))
    {
      g_test_fail_printf ("X server: %s", error->message);
      return;
    }
  fixture->controller = vsa_test_controller_new (TURN_ADDRESS, 0, viewer_dir, &error);
  g_assert_no_error (error);
  ice_servers = g_strdup_printf ("[{\"urls\": \"%s\", \"username\": \"" TURN_USER "\", "
                                 "\"credential\": \"" TURN_PASSWORD "\"}]",
                                 turn->url);
  vsa_test_controller_set_ice_servers (fixture->controller, ice_servers, &error);
  g_assert_no_error (error);
  if (!start_agent (fixture, turn, &error))
    {
      g_test_fail_printf ("agent: %s", error->message);
      return;
    }

  browser_dir = g_build_filename (fixture->tmp_dir, "chromium", NULL);
  if (!trust_ca (fixture, certutil, &error))
    {
      g_test_fail_printf ("certutil: %s", error->message);
      return;
    }
  url = vsa_test_controller_get_url (fixture->controller);
  page_url = g_strconcat (url, "/?session=turn&report=turn&relay=1", NULL);
  fixture->browser = vsa_test_browser_start (VSA_TEST_BROWSER_CHROMIUM, chromium, page_url,
                                             browser_dir, FALSE, fixture->browser_log, &error);
  if (fixture->browser == NULL)
    {
      g_test_fail_printf ("%s: %s", chromium, error->message);
      return;
    }

  if (!expect_video (fixture, red, 30000, &report) || !expect_relayed_pair (report, turn))
    return;
  /* Live frames, not one stale picture. */
  if (!vsa_test_xvfb_set_color (fixture->xvfb, "#0000ff", &error))
    {
      g_test_fail_printf ("xsetroot: %s", error->message);
      return;
    }
  if (!expect_video (fixture, blue, 10000, &last_report))
    return;
  expect_firewall_used (fixture, turn, iptables_save, last_report);
}

int
main (int argc, char **argv)
{
  static const TurnCase cases[] = {
    { "/vsa/turn/udp", "turn:" TURN_ADDRESS ":3478?transport=udp", "udp", "udp", TURN_PORT },
    { "/vsa/turn/tcp", "turn:" TURN_ADDRESS ":3478?transport=tcp", "tcp", "tcp", TURN_PORT },
    { "/vsa/turn/tls", "turns:" TURN_ADDRESS ":5349?transport=tcp", "tls", "tcp", TURNS_PORT },
  };

  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    g_test_add (cases[i].path, Fixture, &cases[i], fixture_set_up, test_turn, fixture_tear_down);
  return g_test_run ();
}
