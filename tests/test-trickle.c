/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vsa-trickle against the fake controller: the VM's candidates held until the answer is
 * stored, then POSTed in order; a candidate the controller keeps failing given up after
 * its attempts, the next one still posted; the browser's candidates fetched once the answer
 * is stored, and not after polling stops. */
#include "vsa-test-controller.h"
#include "vsa-test-util.h"
#include "vsa-trickle.h"

#include <string.h>

#define SESSION "trickle-test"

typedef struct
{
  VsaTestController *server;
  VsaConfig *config;
  VsaController *controller;
  VsaTrickle *trickle;
  GPtrArray *remote;   /* candidate strings handed over */
  GPtrArray *problems; /* what was reported */
} Fixture;

static void
on_remote_candidate (VsaCandidate *candidate, gpointer data)
{
  Fixture *fixture = data;

  g_ptr_array_add (fixture->remote, g_strdup (candidate->candidate));
}

static void
on_problem (const char *what, const GError *error, gpointer data)
{
  Fixture *fixture = data;

  g_ptr_array_add (fixture->problems, g_strdup (what));
}

static guint
retry_delay_ms (gpointer data)
{
  return 20;
}

static const VsaTrickleCallbacks callbacks = { on_remote_candidate, on_problem, retry_delay_ms };

static void
fixture_set_up (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path
      = g_build_filename (g_getenv ("VSA_TEST_DATA"), "chromium-early-offer.json", NULL);
  g_autofree char *offer = NULL;

  fixture->server = vsa_test_controller_new ("127.0.0.1", 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &offer, NULL, &error));
  g_assert_true (vsa_test_controller_store_offer (fixture->server, SESSION, offer, &error));
  fixture->config = vsa_config_new ();
  fixture->config->session_id = g_strdup (SESSION);
  fixture->config->controller_url = vsa_test_controller_get_url (fixture->server);
  fixture->controller = vsa_controller_new (fixture->config, &error);
  g_assert_no_error (error);
  fixture->remote = g_ptr_array_new_with_free_func (g_free);
  fixture->problems = g_ptr_array_new_with_free_func (g_free);
  fixture->trickle = vsa_trickle_new (fixture->controller, &callbacks, fixture);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer data)
{
  g_clear_pointer (&fixture->trickle, vsa_trickle_free);
  g_clear_pointer (&fixture->remote, g_ptr_array_unref);
  g_clear_pointer (&fixture->problems, g_ptr_array_unref);
  g_clear_object (&fixture->controller);
  g_clear_pointer (&fixture->config, vsa_config_free);
  g_clear_pointer (&fixture->server, vsa_test_controller_free);
}

static void
add_local (Fixture *fixture, guint port)
{
  g_autofree char *text
      = g_strdup_printf ("candidate:%u 1 udp 2113937151 198.18.0.2 %u typ host", port, port);
  g_autoptr (VsaCandidate) candidate = vsa_candidate_new (text, 0, "0");

  vsa_trickle_add_local (fixture->trickle, candidate);
}

typedef struct
{
  Fixture *fixture;
  const char *text;
} TextWait;

static gboolean
vm_candidates_have (gpointer data)
{
  TextWait *wait = data;
  g_autofree char *candidates
      = vsa_test_controller_dup_vm_candidates (wait->fixture->server, SESSION);

  return strstr (candidates, wait->text) != NULL;
}

static guint
posts (Fixture *fixture)
{
  return vsa_test_controller_get_request_count (fixture->server, "POST", "/candidate");
}

static guint
count_problems (Fixture *fixture, const char *what)
{
  guint n = 0;

  for (guint i = 0; i < fixture->problems->len; i++)
    n += g_str_equal (fixture->problems->pdata[i], what);
  return n;
}

#define NOT_POSTED "a candidate was not posted"

/* Held until the answer is stored, then all of them, in the order they came. */
static void
test_local_after_answer (Fixture *fixture, gconstpointer data)
{
  TextWait wait = { fixture, "198.18.0.2 40003" };
  g_autofree char *candidates = NULL;
  const char *first, *second, *third;

  add_local (fixture, 40001);
  add_local (fixture, 40002);
  g_assert_false (vsa_test_wait_until (vm_candidates_have, &(TextWait){ fixture, "40001" }, 300));
  g_assert_cmpuint (posts (fixture), ==, 0);

  vsa_trickle_answer_stored (fixture->trickle);
  add_local (fixture, 40003);
  g_assert_true (vsa_test_wait_until (vm_candidates_have, &wait, 5000));
  candidates = vsa_test_controller_dup_vm_candidates (fixture->server, SESSION);
  first = strstr (candidates, "40001");
  second = strstr (candidates, "40002");
  third = strstr (candidates, "40003");
  g_assert_true (first != NULL && second != NULL && third != NULL);
  g_assert_true (first < second && second < third);
  g_assert_cmpuint (posts (fixture), ==, 3);
  g_assert_cmpuint (count_problems (fixture, NOT_POSTED), ==, 0);
}

static gboolean
candidate_given_up (gpointer data)
{
  return count_problems (data, NOT_POSTED) > 0;
}

/* A candidate the controller keeps refusing with a 503 (worth retrying) is given up after
 * its attempts, reported once; the next one is still posted. */
static void
test_local_given_up (Fixture *fixture, gconstpointer data)
{
  TextWait wait = { fixture, "198.18.0.2 40002" };

  vsa_trickle_answer_stored (fixture->trickle);
  vsa_test_controller_set_candidate_status (fixture->server, SOUP_STATUS_SERVICE_UNAVAILABLE);
  add_local (fixture, 40001);
  g_assert_true (vsa_test_wait_until (candidate_given_up, fixture, 30000));
  g_assert_cmpuint (count_problems (fixture, NOT_POSTED), ==, 1);
  g_assert_cmpuint (posts (fixture), ==, 5); /* vsa-trickle's attempts at one candidate */
  vsa_test_controller_set_candidate_status (fixture->server, 0);
  add_local (fixture, 40002);
  g_assert_true (vsa_test_wait_until (vm_candidates_have, &wait, 5000));
}

static gboolean
has_remote (gpointer data)
{
  Fixture *fixture = data;

  return fixture->remote->len > 0;
}

static guint
fetches (Fixture *fixture)
{
  return vsa_test_controller_get_request_count (fixture->server, "GET", "/candidates/browser");
}

/* The browser's candidates come once the answer is stored, and are asked for again until
 * polling stops. */
static void
test_remote (Fixture *fixture, gconstpointer data)
{
  vsa_test_controller_add_browser_candidate (
      fixture->server, SESSION, "candidate:9 1 udp 2113937151 198.18.0.1 50000 typ host", 0, "0");
  g_assert_false (vsa_test_wait_until (has_remote, fixture, 300));
  g_assert_cmpuint (fetches (fixture), ==, 0);

  vsa_trickle_answer_stored (fixture->trickle);
  g_assert_true (vsa_test_wait_until (has_remote, fixture, 5000));
  g_assert_cmpstr (fixture->remote->pdata[0], ==,
                   "candidate:9 1 udp 2113937151 198.18.0.1 50000 typ host");
  g_assert_true (vsa_test_controller_wait_requests (fixture->server, "GET", "/candidates/browser",
                                                    fetches (fixture), 5000));

  vsa_trickle_stop_polling (fixture->trickle);
  /* at most the one in flight */
  g_assert_false (vsa_test_controller_wait_requests (fixture->server, "GET", "/candidates/browser",
                                                     fetches (fixture) + 1, 1500));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/vsa/trickle/local-after-answer", Fixture, NULL, fixture_set_up,
              test_local_after_answer, fixture_tear_down);
  g_test_add ("/vsa/trickle/local-given-up", Fixture, NULL, fixture_set_up, test_local_given_up,
              fixture_tear_down);
  g_test_add ("/vsa/trickle/remote", Fixture, NULL, fixture_set_up, test_remote, fixture_tear_down);
  return g_test_run ();
}
