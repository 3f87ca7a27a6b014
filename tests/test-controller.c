/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vsa-controller against the fake controller (tests/vsa-test-controller: the real one's
 * HTTP contract, in-process on 127.0.0.1): each request of the contract, and how each kind
 * of failure reaches the caller (its status as the error code, transient or not,
 * Retry-After). */
#include "vsa-controller.h"
#include "vsa-test-controller.h"
#include "vsa-test-util.h"

#include <string.h>

#define SESSION "controller-test"

typedef struct
{
  VsaTestController *server;
  VsaConfig *config;
  VsaController *controller;
  GAsyncResult *result;
} Fixture;

static void
fixture_set_up (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fixture->server = vsa_test_controller_new ("127.0.0.1", 0, NULL, &error);
  g_assert_no_error (error);
  fixture->config = vsa_config_new ();
  fixture->config->session_id = g_strdup (SESSION);
  fixture->config->controller_url = vsa_test_controller_get_url (fixture->server);
  fixture->config->token = g_strdup (data);
  fixture->controller = vsa_controller_new (fixture->config, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer data)
{
  g_clear_object (&fixture->result);
  g_clear_object (&fixture->controller);
  g_clear_pointer (&fixture->config, vsa_config_free);
  g_clear_pointer (&fixture->server, vsa_test_controller_free);
}

static void
on_result (GObject *source, GAsyncResult *result, gpointer data)
{
  Fixture *fixture = data;

  fixture->result = g_object_ref (result);
}

static gboolean
has_result (gpointer data)
{
  Fixture *fixture = data;

  return fixture->result != NULL;
}

/* Waits for the request started with on_result and hands over its result. */
static GAsyncResult *
wait_result (Fixture *fixture)
{
  g_assert_true (vsa_test_wait_until (has_result, fixture, 10000));
  return g_steal_pointer (&fixture->result);
}

static VsaOffer *
get_offer (Fixture *fixture, GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  vsa_controller_get_offer_async (fixture->controller, NULL, on_result, fixture);
  result = wait_result (fixture);
  return vsa_controller_get_offer_finish (fixture->controller, result, error);
}

static void
store_fixture_offer (Fixture *fixture)
{
  g_autofree char *path
      = g_build_filename (g_getenv ("VSA_TEST_DATA"), "chromium-early-offer.json", NULL);
  g_autofree char *body = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (g_file_get_contents (path, &body, NULL, &error));
  g_assert_true (vsa_test_controller_store_offer (fixture->server, SESSION, body, &error));
  g_assert_no_error (error);
}

/* No offer yet is no error; a stored one arrives with its SDP and candidates. */
static void
test_offer (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaOffer) none = get_offer (fixture, &error);
  g_autoptr (VsaOffer) offer = NULL;

  g_assert_no_error (error);
  g_assert_null (none);
  store_fixture_offer (fixture);
  offer = get_offer (fixture, &error);
  g_assert_no_error (error);
  g_assert_nonnull (offer);
  g_assert_true (g_str_has_prefix (offer->sdp, "v=0\r\n"));
  g_assert_nonnull (strstr (offer->sdp, "\r\nm=video "));
  g_assert_cmpuint (vsa_test_controller_get_request_count (fixture->server, "GET", "/offer"), ==,
                    2);
}

/* While there is no offer, polls after the first 404 go over the kept-alive connection
 * of the offer probe: each is still one request answered 404, with a token when there is
 * one; an offer stored, or a failure, comes back through libsoup as before. */
static void
test_offer_probe (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaOffer) offer = NULL;
  g_autoptr (GBytes) page = g_bytes_new_static ("down", 4);

  vsa_test_controller_set_token (fixture->server, data);
  for (guint i = 1; i <= 5; i++)
    {
      g_autoptr (VsaOffer) none = get_offer (fixture, &error);

      g_assert_no_error (error);
      g_assert_null (none);
      g_assert_cmpuint (vsa_test_controller_get_request_count (fixture->server, "GET", "/offer"),
                        ==, i);
    }
  g_assert_cmpuint (vsa_test_controller_get_unauthorized_count (fixture->server), ==, 0);
  /* a 503 reaches the caller with its status, and the next 404 arms the probe again */
  vsa_test_controller_set_raw_offer (fixture->server, 503, "text/plain", page, FALSE, 2);
  offer = get_offer (fixture, &error);
  g_assert_error (error, VSA_CONTROLLER_ERROR, 503);
  g_assert_cmpuint (vsa_controller_get_retry_after_s (fixture->controller), ==, 2);
  g_clear_error (&error);
  vsa_test_controller_set_raw_offer (fixture->server, 0, NULL, NULL, FALSE, 0);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (VsaOffer) none = get_offer (fixture, &error);

      g_assert_no_error (error);
      g_assert_null (none);
    }
  store_fixture_offer (fixture);
  offer = get_offer (fixture, &error);
  g_assert_no_error (error);
  g_assert_nonnull (offer);
  g_assert_true (g_str_has_prefix (offer->sdp, "v=0\r\n"));
}

/* The answer with its candidates, then a trickled candidate, are what the browser's side
 * reads back; the browser's candidates come back as the controller holds them. */
static void
test_answer_and_candidates (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) candidates
      = g_ptr_array_new_with_free_func ((GDestroyNotify) vsa_candidate_free);
  g_autoptr (VsaCandidate) trickled
      = vsa_candidate_new ("candidate:2 1 udp 2113937151 198.18.0.2 40001 typ host", 0, "0");
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GPtrArray) browser = NULL;
  g_autofree char *answer = NULL;
  g_autofree char *vm_candidates = NULL;
  const VsaCandidate *first;

  store_fixture_offer (fixture);
  g_ptr_array_add (
      candidates,
      vsa_candidate_new ("candidate:1 1 udp 2113937151 198.18.0.2 40000 typ host", 0, "0"));
  vsa_controller_post_answer_async (fixture->controller, "v=0\r\ns=answer\r\n", candidates, NULL,
                                    on_result, fixture);
  result = wait_result (fixture);
  g_assert_true (vsa_controller_post_answer_finish (fixture->controller, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  answer = vsa_test_controller_dup_answer (fixture->server, SESSION);
  g_assert_nonnull (answer);
  g_assert_nonnull (strstr (answer, "s=answer"));
  g_assert_nonnull (strstr (answer, "198.18.0.2 40000"));

  vsa_controller_post_candidate_async (fixture->controller, trickled, NULL, on_result, fixture);
  result = wait_result (fixture);
  g_assert_true (vsa_controller_post_candidate_finish (fixture->controller, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  vm_candidates = vsa_test_controller_dup_vm_candidates (fixture->server, SESSION);
  g_assert_nonnull (strstr (vm_candidates, "198.18.0.2 40001"));

  vsa_test_controller_add_browser_candidate (
      fixture->server, SESSION, "candidate:3 1 udp 2113937151 198.18.0.1 50000 typ host", 0, "0");
  vsa_controller_get_browser_candidates_async (fixture->controller, NULL, on_result, fixture);
  result = wait_result (fixture);
  browser = vsa_controller_get_browser_candidates_finish (fixture->controller, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (browser);
  g_assert_cmpuint (browser->len, >=, 1);
  first = g_ptr_array_index (browser, browser->len - 1);
  g_assert_cmpstr (first->candidate, ==, "candidate:3 1 udp 2113937151 198.18.0.1 50000 typ host");
  g_assert_cmpint (first->mline_index, ==, 0);
  g_assert_cmpstr (first->mid, ==, "0");
}

static void
test_ice_servers (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GPtrArray) servers = NULL;
  const VsaIceServer *turn;

  g_assert_true (vsa_test_controller_set_ice_servers (
      fixture->server,
      "[{\"urls\":\"stun:198.18.0.9:3478\"},"
      "{\"urls\":[\"turn:198.18.0.9:3478?transport=udp\",\"turns:198.18.0.9:5349\"],"
      "\"username\":\"u\",\"credential\":\"c\"}]",
      &error));
  vsa_controller_get_ice_servers_async (fixture->controller, NULL, on_result, fixture);
  result = wait_result (fixture);
  servers = vsa_controller_get_ice_servers_finish (fixture->controller, result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (servers->len, ==, 2);
  turn = g_ptr_array_index (servers, 1);
  g_assert_cmpuint (g_strv_length (turn->urls), ==, 2);
  g_assert_cmpstr (turn->urls[1], ==, "turns:198.18.0.9:5349");
  g_assert_cmpstr (turn->username, ==, "u");
  g_assert_cmpstr (turn->credential, ==, "c");
}

typedef struct
{
  guint status;
  const char *content_type;
  const char *body; /* NULL: over 1 MiB of JSON */
  guint retry_after_s;
  gboolean transient;
} OfferFailure;

static const OfferFailure failures[] = {
  { 503, "text/html", "<html>busy</html>", 7, TRUE },
  { 429, "text/plain", "slow down", 2, TRUE },
  { 500, "text/html", "<html>oops</html>", 0, TRUE },
  { 200, "text/html", "<html>a proxy's page</html>", 0, FALSE },
  { 200, "application/json", "{\"offer\":42}", 0, FALSE },
  { 200, "application/json", NULL, 0, FALSE },
  { 403, "text/plain", "no", 0, FALSE },
};

/* Each failure of GET …/offer: its status as the code (or a parse error), whether it is
 * worth backing off from, and the Retry-After it asked for. */
static void
test_offer_failures (Fixture *fixture, gconstpointer data)
{
  for (guint i = 0; i < G_N_ELEMENTS (failures); i++)
    {
      const OfferFailure *failure = &failures[i];
      g_autoptr (GError) error = NULL;
      g_autoptr (GBytes) body = NULL;
      g_autoptr (VsaOffer) offer = NULL;

      if (failure->body != NULL)
        body = g_bytes_new_static (failure->body, strlen (failure->body));
      else
        {
          gsize size = 1024 * 1024 + 16;
          char *big = g_malloc (size);

          memset (big, ' ', size);
          big[0] = '{';
          big[size - 1] = '}';
          body = g_bytes_new_take (big, size);
        }
      vsa_test_controller_set_raw_offer (fixture->server, failure->status, failure->content_type,
                                         body, FALSE, failure->retry_after_s);
      offer = get_offer (fixture, &error);
      g_test_message ("%u %s: %s", failure->status, failure->content_type,
                      error != NULL ? error->message : "(no error)");
      g_assert_null (offer);
      g_assert_nonnull (error);
      if (failure->status != 200)
        g_assert_error (error, VSA_CONTROLLER_ERROR, (int) failure->status);
      g_assert_cmpint (vsa_controller_error_is_transient (error), ==, failure->transient);
      g_assert_cmpuint (vsa_controller_get_retry_after_s (fixture->controller), ==,
                        failure->retry_after_s);
    }
}

/* A refused answer is an error with the refusal's status. */
static void
test_answer_refused (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) candidates = g_ptr_array_new ();
  g_autoptr (GAsyncResult) result = NULL;

  store_fixture_offer (fixture);
  vsa_test_controller_set_answer_status (fixture->server, 409);
  vsa_controller_post_answer_async (fixture->controller, "v=0\r\n", candidates, NULL, on_result,
                                    fixture);
  result = wait_result (fixture);
  g_assert_false (vsa_controller_post_answer_finish (fixture->controller, result, &error));
  g_assert_error (error, VSA_CONTROLLER_ERROR, 409);
  g_assert_false (vsa_controller_error_is_transient (error));
  g_assert_cmpuint (vsa_test_controller_get_answer_count (fixture->server, SESSION), ==, 0);
}

/* Every request carries the configured bearer token; without it the controller's 401 is
 * the error, and not worth backing off from. */
static void
test_token (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaOffer) offer = NULL;
  g_autoptr (VsaController) anonymous = NULL;
  g_autoptr (VsaConfig) config = vsa_config_new ();
  g_autoptr (GAsyncResult) result = NULL;

  vsa_test_controller_set_token (fixture->server, "s3cret");
  store_fixture_offer (fixture);
  offer = get_offer (fixture, &error);
  g_assert_no_error (error);
  g_assert_nonnull (offer);
  g_assert_cmpuint (vsa_test_controller_get_unauthorized_count (fixture->server), ==, 0);

  config->session_id = g_strdup (SESSION);
  config->controller_url = vsa_test_controller_get_url (fixture->server);
  anonymous = vsa_controller_new (config, &error);
  g_assert_no_error (error);
  vsa_controller_get_offer_async (anonymous, NULL, on_result, fixture);
  result = wait_result (fixture);
  g_clear_pointer (&offer, vsa_offer_free);
  offer = vsa_controller_get_offer_finish (anonymous, result, &error);
  g_assert_null (offer);
  g_assert_error (error, VSA_CONTROLLER_ERROR, 401);
  g_assert_false (vsa_controller_error_is_transient (error));
  g_assert_cmpuint (vsa_test_controller_get_unauthorized_count (fixture->server), ==, 1);
}

/* A poll of controller_url, by a controller made with the environment as it is now. */
static VsaOffer *
get_offer_from (Fixture *fixture, const char *controller_url, GError **error)
{
  g_autoptr (VsaConfig) config = vsa_config_new ();
  g_autoptr (VsaController) controller = NULL;
  g_autoptr (GAsyncResult) result = NULL;

  config->session_id = g_strdup (SESSION);
  config->controller_url = g_strdup (controller_url);
  controller = vsa_controller_new (config, error);
  g_assert_nonnull (controller);
  vsa_controller_get_offer_async (controller, NULL, on_result, fixture);
  result = wait_result (fixture);
  return vsa_controller_get_offer_finish (controller, result, error);
}

/* http_proxy is used (the fake controller as the proxy: a controller at a closed port is
 * reached through it), and no_proxy bypasses it. */
static void
test_proxy_from_env (Fixture *fixture, gconstpointer data)
{
  g_autofree char *proxy = vsa_test_controller_get_url (fixture->server);
  g_autoptr (VsaOffer) offer = NULL;
  g_autoptr (GError) error = NULL;

  store_fixture_offer (fixture);
  g_setenv ("http_proxy", proxy, TRUE);
  g_unsetenv ("no_proxy");
  g_unsetenv ("NO_PROXY");
  offer = get_offer_from (fixture, "http://127.0.0.1:1", &error);
  g_assert_no_error (error);
  g_assert_nonnull (offer);
  g_assert_cmpuint (vsa_test_controller_get_request_count (fixture->server, "GET", "/offer"), ==,
                    1);

  g_setenv ("no_proxy", "example.org, 127.0.0.1", TRUE);
  g_clear_pointer (&offer, vsa_offer_free);
  offer = get_offer_from (fixture, "http://127.0.0.1:1", &error);
  g_assert_null (offer);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  g_assert_cmpuint (vsa_test_controller_get_request_count (fixture->server, "GET", "/offer"), ==,
                    1);
  g_unsetenv ("http_proxy");
  g_unsetenv ("no_proxy");
}

static void
post_answer (Fixture *fixture)
{
  g_autoptr (GPtrArray) candidates
      = g_ptr_array_new_with_free_func ((GDestroyNotify) vsa_candidate_free);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;

  vsa_controller_post_answer_async (fixture->controller, "v=0\r\ns=answer\r\n", candidates, NULL,
                                    on_result, fixture);
  result = wait_result (fixture);
  g_assert_true (vsa_controller_post_answer_finish (fixture->controller, result, &error));
  g_assert_no_error (error);
}

static void
get_browser_candidates (Fixture *fixture)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) candidates = NULL;

  vsa_controller_get_browser_candidates_async (fixture->controller, NULL, on_result, fixture);
  result = wait_result (fixture);
  candidates = vsa_controller_get_browser_candidates_finish (fixture->controller, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (candidates);
}

static guint
client_port (Fixture *fixture, const char *method, const char *path_suffix)
{
  guint port = vsa_test_controller_get_client_port (fixture->server, method, path_suffix);

  g_assert_cmpuint (port, !=, 0);
  return port;
}

/* Each GET keeps a connection of its own, and a GET reset on it (a proxy closing a kept
 * connection) is sent again on a new one, where it succeeds. On a connection shared with
 * other requests, libsoup 3.2 crashed resending it (see vsa-controller.c). */
static void
test_get_connections (Fixture *fixture, gconstpointer data)
{
  g_autoptr (VsaOffer) offer = NULL;
  g_autoptr (GError) error = NULL;
  guint answer_port, candidates_port, offer_port;

  store_fixture_offer (fixture);
  post_answer (fixture);
  answer_port = client_port (fixture, "POST", "/answer");
  get_browser_candidates (fixture);
  candidates_port = client_port (fixture, "GET", "/candidates/browser");
  offer = get_offer (fixture, &error);
  g_assert_no_error (error);
  g_assert_nonnull (offer);
  offer_port = client_port (fixture, "GET", "/offer");
  g_assert_cmpuint (candidates_port, !=, answer_port);
  g_assert_cmpuint (offer_port, !=, answer_port);
  g_assert_cmpuint (offer_port, !=, candidates_port);

  /* kept between its requests */
  get_browser_candidates (fixture);
  g_assert_cmpuint (client_port (fixture, "GET", "/candidates/browser"), ==, candidates_port);

  vsa_test_controller_reset_next (fixture->server, "GET", "/candidates/browser");
  get_browser_candidates (fixture);
  g_assert_cmpuint (
      vsa_test_controller_get_request_count (fixture->server, "GET", "/candidates/browser"), ==, 4);
  g_assert_cmpuint (client_port (fixture, "GET", "/candidates/browser"), !=, candidates_port);
  g_assert_cmpuint (client_port (fixture, "GET", "/candidates/browser"), !=, answer_port);
  g_assert_cmpuint (client_port (fixture, "GET", "/candidates/browser"), !=, offer_port);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/vsa/controller/offer", Fixture, NULL, fixture_set_up, test_offer,
              fixture_tear_down);
  g_test_add ("/vsa/controller/offer-probe", Fixture, NULL, fixture_set_up, test_offer_probe,
              fixture_tear_down);
  g_test_add ("/vsa/controller/offer-probe-token", Fixture, "s3cret", fixture_set_up,
              test_offer_probe, fixture_tear_down);
  g_test_add ("/vsa/controller/answer-and-candidates", Fixture, NULL, fixture_set_up,
              test_answer_and_candidates, fixture_tear_down);
  g_test_add ("/vsa/controller/ice-servers", Fixture, NULL, fixture_set_up, test_ice_servers,
              fixture_tear_down);
  g_test_add ("/vsa/controller/offer-failures", Fixture, NULL, fixture_set_up, test_offer_failures,
              fixture_tear_down);
  g_test_add ("/vsa/controller/answer-refused", Fixture, NULL, fixture_set_up, test_answer_refused,
              fixture_tear_down);
  g_test_add ("/vsa/controller/token", Fixture, "s3cret", fixture_set_up, test_token,
              fixture_tear_down);
  g_test_add ("/vsa/controller/proxy-from-env", Fixture, NULL, fixture_set_up, test_proxy_from_env,
              fixture_tear_down);
  g_test_add ("/vsa/controller/get-connections", Fixture, NULL, fixture_set_up,
              test_get_connections, fixture_tear_down);
  return g_test_run ();
}
