/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vsa-ice-servers against the fake controller: the list fetched at start and refreshed at
 * half its max age, kept through failed refreshes until that age, then stale; a list kept
 * by hand; nothing fetched after a stop. Max age 2 s: a refresh every second. */
#include "vsa-ice-servers.h"
#include "vsa-test-controller.h"
#include "vsa-test-util.h"

#define SERVERS "[{\"urls\":\"turn:198.18.0.9:3478\",\"username\":\"u\",\"credential\":\"c\"}]"

typedef struct
{
  VsaTestController *server;
  VsaConfig *config;
  VsaController *controller;
  VsaIceServers *ice_servers;
} Fixture;

static void
fixture_set_up (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fixture->server = vsa_test_controller_new ("127.0.0.1", 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vsa_test_controller_set_ice_servers (fixture->server, SERVERS, &error));
  fixture->config = vsa_config_new ();
  fixture->config->session_id = g_strdup ("ice-servers-test");
  fixture->config->controller_url = vsa_test_controller_get_url (fixture->server);
  fixture->config->ice_servers_max_age_s = 2;
  fixture->config->request_timeout_s = 1;
  fixture->controller = vsa_controller_new (fixture->config, &error);
  g_assert_no_error (error);
  fixture->ice_servers = vsa_ice_servers_new (fixture->controller, fixture->config);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer data)
{
  g_clear_pointer (&fixture->ice_servers, vsa_ice_servers_free);
  g_clear_object (&fixture->controller);
  g_clear_pointer (&fixture->config, vsa_config_free);
  g_clear_pointer (&fixture->server, vsa_test_controller_free);
}

static gboolean
is_fresh (gpointer data)
{
  Fixture *fixture = data;

  return vsa_ice_servers_get_fresh (fixture->ice_servers) != NULL;
}

static gboolean
is_stale (gpointer data)
{
  return !is_fresh (data);
}

static guint
fetches (Fixture *fixture)
{
  return vsa_test_controller_get_request_count (fixture->server, "GET", "/ice-servers");
}

/* Whether another fetch comes within timeout_ms. */
static gboolean
fetched_again (Fixture *fixture, guint timeout_ms)
{
  return vsa_test_controller_wait_requests (fixture->server, "GET", "/ice-servers",
                                            fetches (fixture), timeout_ms);
}

static void
test_refresh (Fixture *fixture, gconstpointer data)
{
  GPtrArray *servers;
  const VsaIceServer *turn;

  g_assert_null (vsa_ice_servers_get_fresh (fixture->ice_servers));
  vsa_ice_servers_start_refresh (fixture->ice_servers);
  g_assert_true (vsa_test_wait_until (is_fresh, fixture, 5000));
  servers = vsa_ice_servers_get_fresh (fixture->ice_servers);
  g_assert_cmpuint (servers->len, ==, 1);
  turn = g_ptr_array_index (servers, 0);
  g_assert_cmpstr (turn->urls[0], ==, "turn:198.18.0.9:3478");
  g_assert_cmpstr (turn->credential, ==, "c");

  /* again at half the max age, before the list gets stale */
  g_assert_true (fetched_again (fixture, 5000));
  g_assert_true (is_fresh (fixture));

  /* refreshes failing: the list it had, until its age runs out */
  vsa_test_controller_set_faults (fixture->server, 1.0, 7);
  g_assert_true (vsa_test_wait_until (is_stale, fixture, 10000));
  /* and fresh again once the controller answers */
  vsa_test_controller_set_faults (fixture->server, 0, 0);
  g_assert_true (vsa_test_wait_until (is_fresh, fixture, 10000));

  /* stopped: nothing more is asked for */
  vsa_ice_servers_stop_refresh (fixture->ice_servers);
  g_assert_false (fetched_again (fixture, 1500));
}

/* A list fetched for an offer is kept as the fresh one. */
static void
test_keep (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GPtrArray) servers = g_ptr_array_new ();

  vsa_ice_servers_keep (fixture->ice_servers, servers);
  g_assert_true (vsa_ice_servers_get_fresh (fixture->ice_servers) == servers);
  g_assert_true (vsa_test_wait_until (is_stale, fixture, 5000));
  g_assert_cmpuint (fetches (fixture), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/vsa/ice-servers/refresh", Fixture, NULL, fixture_set_up, test_refresh,
              fixture_tear_down);
  g_test_add ("/vsa/ice-servers/keep", Fixture, NULL, fixture_set_up, test_keep, fixture_tear_down);
  return g_test_run ();
}
