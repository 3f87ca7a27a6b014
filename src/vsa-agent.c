/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vsa-agent.h"

#include "vsa-backoff.h"
#include "vsa-controller.h"
#include "vsa-ice-servers.h"
#include "vsa-process.h"
#include "vsa-trickle.h"

#define BACKOFF_MAX_MS 5000
/* The browser waits about 60 s for the answer, and the session 30 s for a connection. */
#define ANSWER_POST_DEADLINE_S 20

struct _VsaAgent
{
  GObject parent_instance;

  const VsaConfig *config;
  VsaController *controller;
  VsaSessionHost *host;
  GCancellable *cancellable; /* every request; cancelled by stop */
  GRand *rand;
  VsaBackoff backoff;

  guint poll_id;
  gint64 fast_poll_until;   /* monotonic µs */
  char *last_problem;       /* the last error logged, so a repeated one is logged once */
  char *offer_problem;      /* why the offer polled last was unusable, logged once */
  char *controller_problem; /* why the last offer poll failed, until one succeeds */
  char *status;             /* vsa_agent_get_status() */

  /* The SHA-256 of the offer answered last: never answered twice. */
  char *offer_checksum;
  VsaOffer *pending_offer; /* while its ICE servers are fetched */
  VsaIceServers *ice_servers;
  /* the host's current session, as the controller sees it */
  GCancellable *session_cancellable;
  gint64 answer_first_try; /* monotonic µs */
  char *answer_sdp;
  GPtrArray *answer_candidates;
  guint answer_retry_id;
  VsaTrickle *trickle; /* the session's candidates both ways */
};

G_DEFINE_FINAL_TYPE (VsaAgent, vsa_agent, G_TYPE_OBJECT)

enum
{
  SIGNAL_STATUS_CHANGED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static void vsa_agent_schedule_poll (VsaAgent *self, guint delay_ms);

static void
vsa_agent_dispose (GObject *object)
{
  VsaAgent *self = VSA_AGENT (object);

  vsa_agent_stop (self);
  if (self->host != NULL)
    g_signal_handlers_disconnect_by_data (self->host, self);
  g_clear_object (&self->host);
  G_OBJECT_CLASS (vsa_agent_parent_class)->dispose (object);
}

static void
vsa_agent_finalize (GObject *object)
{
  VsaAgent *self = VSA_AGENT (object);

  g_clear_object (&self->controller);
  g_clear_object (&self->cancellable);
  g_rand_free (self->rand);
  g_free (self->last_problem);
  g_free (self->offer_problem);
  g_free (self->controller_problem);
  g_free (self->status);
  g_free (self->offer_checksum);
  vsa_ice_servers_free (self->ice_servers);
  G_OBJECT_CLASS (vsa_agent_parent_class)->finalize (object);
}

static void
vsa_agent_class_init (VsaAgentClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = vsa_agent_dispose;
  object_class->finalize = vsa_agent_finalize;
  signals[SIGNAL_STATUS_CHANGED]
      = g_signal_new ("status-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
vsa_agent_init (VsaAgent *self)
{
  self->cancellable = g_cancellable_new ();
  self->rand = g_rand_new ();
  vsa_backoff_init (&self->backoff, 250, BACKOFF_MAX_MS);
}

static void vsa_agent_on_host_state (VsaSessionHost *host, int state, VsaAgent *self);
static void vsa_agent_on_host_status (VsaSessionHost *host, const char *status, VsaAgent *self);
static void vsa_agent_on_answer_ready (VsaSessionHost *host, const char *sdp, GPtrArray *candidates,
                                       VsaAgent *self);
static void vsa_agent_on_local_candidate (VsaSessionHost *host, VsaCandidate *candidate,
                                          VsaAgent *self);

VsaAgent *
vsa_agent_new (const VsaConfig *config, GError **error)
{
  g_autoptr (VsaAgent) self = g_object_new (VSA_TYPE_AGENT, NULL);

  self->config = config;
  self->controller = vsa_controller_new (config, error);
  if (self->controller == NULL)
    return NULL;
  self->ice_servers = vsa_ice_servers_new (self->controller, config);
  self->host = vsa_session_host_new (config, config->session_id);
  g_signal_connect (self->host, "state-changed", G_CALLBACK (vsa_agent_on_host_state), self);
  g_signal_connect (self->host, "status-changed", G_CALLBACK (vsa_agent_on_host_status), self);
  g_signal_connect (self->host, "answer-ready", G_CALLBACK (vsa_agent_on_answer_ready), self);
  g_signal_connect (self->host, "local-candidate", G_CALLBACK (vsa_agent_on_local_candidate), self);
  return g_steal_pointer (&self);
}

VsaSessionHost *
vsa_agent_get_host (VsaAgent *self)
{
  return self->host;
}

const char *
vsa_agent_get_status (VsaAgent *self)
{
  return self->status;
}

/* The host's status, unless the controller does not answer: that is the news. */
static void
vsa_agent_update_status (VsaAgent *self)
{
  const char *state = vsa_session_host_get_status (self->host);
  g_autofree char *status = NULL;

  if (self->controller_problem == NULL)
    status = g_strdup (state);
  else if (vsa_session_host_get_state (self->host) == VSA_SESSION_HOST_WAITING)
    status = g_strdup_printf ("controller unreachable at %s: %s", self->config->controller_url,
                              self->controller_problem);
  else
    status = g_strdup_printf ("%s; controller unreachable at %s: %s", state,
                              self->config->controller_url, self->controller_problem);
  if (g_strcmp0 (status, self->status) == 0)
    return;
  g_free (self->status);
  self->status = g_steal_pointer (&status);
  g_signal_emit (self, signals[SIGNAL_STATUS_CHANGED], 0, self->status);
}

static void
vsa_agent_on_host_status (VsaSessionHost *host, const char *status, VsaAgent *self)
{
  vsa_agent_update_status (self);
}

static void
vsa_agent_set_controller_problem (VsaAgent *self, const char *problem)
{
  if (g_strcmp0 (problem, self->controller_problem) == 0)
    return;
  g_free (self->controller_problem);
  self->controller_problem = g_strdup (problem);
  vsa_agent_update_status (self);
}

/* Errors that repeat on every poll are logged once, until something else happens. */
static void
vsa_agent_report_problem (VsaAgent *self, const char *what, const GError *error)
{
  g_autofree char *line = g_strdup_printf ("%s: %s", what, error->message);

  if (g_strcmp0 (line, self->last_problem) == 0)
    return;
  g_warning ("session %s: %s", self->config->session_id, line);
  g_free (self->last_problem);
  self->last_problem = g_steal_pointer (&line);
}

/* The controller's delay for a failed request: its Retry-After, else our backoff. */
static guint
vsa_agent_retry_delay_ms (VsaAgent *self)
{
  guint backoff_ms = vsa_backoff_next_ms (&self->backoff, self->rand);

  return MAX (backoff_ms, vsa_controller_get_retry_after_s (self->controller) * 1000);
}

/* --- the session as the controller sees it: answer and candidates ---------------------- */

static void
vsa_agent_on_remote_candidate (VsaCandidate *candidate, gpointer data)
{
  VsaAgent *self = data;

  vsa_session_host_add_remote_candidate (self->host, candidate);
}

static void
vsa_agent_on_trickle_problem (const char *what, const GError *error, gpointer data)
{
  vsa_agent_report_problem (data, what, error);
}

static guint
vsa_agent_trickle_retry_delay_ms (gpointer data)
{
  return vsa_agent_retry_delay_ms (data);
}

static const VsaTrickleCallbacks trickle_callbacks
    = { vsa_agent_on_remote_candidate, vsa_agent_on_trickle_problem,
        vsa_agent_trickle_retry_delay_ms };

/* What the agent keeps for the host's session goes with it. */
static void
vsa_agent_clear_session (VsaAgent *self)
{
  g_cancellable_cancel (self->session_cancellable);
  g_clear_object (&self->session_cancellable);
  g_clear_pointer (&self->trickle, vsa_trickle_free);
  g_clear_handle_id (&self->answer_retry_id, g_source_remove);
  g_clear_pointer (&self->answer_sdp, g_free);
  g_clear_pointer (&self->answer_candidates, g_ptr_array_unref);
  self->answer_first_try = 0;
}

static void
vsa_agent_on_host_state (VsaSessionHost *host, int state, VsaAgent *self)
{
  switch (state)
    {
    case VSA_SESSION_HOST_NEGOTIATING:
      self->session_cancellable = g_cancellable_new ();
      self->trickle = vsa_trickle_new (self->controller, &trickle_callbacks, self);
      break;
    case VSA_SESSION_HOST_STREAMING:
      vsa_trickle_stop_polling (self->trickle);
      break;
    case VSA_SESSION_HOST_ENDED:
      vsa_agent_clear_session (self);
      /* the browser may try again at once */
      self->fast_poll_until
          = g_get_monotonic_time () + (gint64) self->config->fast_window_s * G_USEC_PER_SEC;
      break;
    default:
      break;
    }
}

static void vsa_agent_store_answer (VsaAgent *self);

static gboolean
vsa_agent_retry_answer (gpointer data)
{
  VsaAgent *self = data;

  self->answer_retry_id = 0;
  vsa_agent_store_answer (self);
  return G_SOURCE_REMOVE;
}

/* A try at storing the answer failed: another after a delay while the deadline allows,
 * else the session ends. */
static void
vsa_agent_answer_try_failed (VsaAgent *self, const char *what, const GError *error)
{
  vsa_agent_report_problem (self, what, error);
  if (vsa_controller_error_is_transient (error)
      && g_get_monotonic_time () - self->answer_first_try < ANSWER_POST_DEADLINE_S * G_USEC_PER_SEC)
    self->answer_retry_id
        = g_timeout_add (vsa_agent_retry_delay_ms (self), vsa_agent_retry_answer, self);
  else
    vsa_session_host_end (self->host, VSA_END_REASON_ANSWER_REFUSED,
                          "the controller did not take the answer");
}

static void
vsa_agent_on_answer_posted (GObject *source, GAsyncResult *result, gpointer data)
{
  VsaAgent *self = data;
  g_autoptr (GError) error = NULL;

  if (!vsa_controller_post_answer_finish (VSA_CONTROLLER (source), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        vsa_agent_answer_try_failed (self, "posting the answer", error);
      return;
    }
  vsa_session_host_answer_stored (self->host);
  /* The answer replaced the controller's VM candidates: only now do later ones stick. */
  vsa_trickle_answer_stored (self->trickle);
}

static void vsa_agent_negotiate (VsaAgent *self, VsaOffer *offer);

static char *
vsa_agent_offer_checksum (const VsaOffer *offer)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, offer->sdp, -1);
}

/* An offer is answered once: the same SDP polled again is not new. */
static gboolean
vsa_agent_is_new_offer (VsaAgent *self, const VsaOffer *offer)
{
  g_autofree char *checksum = NULL;

  if (offer == NULL)
    return FALSE;
  checksum = vsa_agent_offer_checksum (offer);
  return g_strcmp0 (checksum, self->offer_checksum) != 0;
}

static void
vsa_agent_on_offer_rechecked (GObject *source, GAsyncResult *result, gpointer data)
{
  VsaAgent *self = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaOffer) offer = NULL;

  offer = vsa_controller_get_offer_finish (VSA_CONTROLLER (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (error != NULL && vsa_controller_error_is_transient (error))
    vsa_agent_answer_try_failed (self, "looking at the offer before the answer", error);
  else if (vsa_agent_is_new_offer (self, offer))
    vsa_agent_negotiate (self, g_steal_pointer (&offer));
  else
    vsa_controller_post_answer_async (self->controller, self->answer_sdp, self->answer_candidates,
                                      self->session_cancellable, vsa_agent_on_answer_posted, self);
}

/* The controller gives a newer offer's page whatever answer it holds, so an answer to a
 * replaced offer must not be posted: each try looks at the offer once more first (a retry
 * comes seconds later, maybe after a page reload stored a new offer). */
static void
vsa_agent_store_answer (VsaAgent *self)
{
  if (self->answer_first_try == 0)
    self->answer_first_try = g_get_monotonic_time ();
  vsa_controller_get_offer_async (self->controller, self->session_cancellable,
                                  vsa_agent_on_offer_rechecked, self);
}

static void
vsa_agent_on_answer_ready (VsaSessionHost *host, const char *sdp, GPtrArray *candidates,
                           VsaAgent *self)
{
  self->answer_sdp = g_strdup (sdp);
  self->answer_candidates = g_ptr_array_ref (candidates);
  vsa_backoff_reset (&self->backoff);
  vsa_agent_store_answer (self);
}

static void
vsa_agent_on_local_candidate (VsaSessionHost *host, VsaCandidate *candidate, VsaAgent *self)
{
  vsa_trickle_add_local (self->trickle, candidate);
}

/* --- taking an offer up ---------------------------------------------------------------- */

static void
vsa_agent_start_session (VsaAgent *self, VsaOffer *offer, GPtrArray *ice_servers)
{
  g_autoptr (GstSDPMessage) sdp = NULL;
  g_autoptr (GError) error = NULL;
  VsaCodecChoice *choice;

  /* The offer stays remembered, so an offer that cannot be answered is logged once. */
  choice = vsa_codec_choose_offer (offer->sdp, (const char *const *) self->config->codecs, &sdp,
                                   &error);
  if (choice == NULL)
    {
      g_autofree char *reason = g_strdup_printf ("offer not answered: %s", error->message);

      vsa_session_host_end (self->host, VSA_END_REASON_OFFER_UNUSABLE, reason);
      return;
    }
  vsa_session_host_start (self->host, sdp, choice, offer->candidates, ice_servers, NULL);
}

static void
vsa_agent_on_ice_servers (GObject *source, GAsyncResult *result, gpointer data)
{
  VsaAgent *self = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) servers = NULL;
  g_autoptr (VsaOffer) offer = NULL;

  servers = vsa_controller_get_ice_servers_finish (VSA_CONTROLLER (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (servers == NULL)
    vsa_agent_report_problem (self, "no ICE servers from the controller, going on without", error);
  else
    vsa_ice_servers_keep (self->ice_servers, servers);
  offer = g_steal_pointer (&self->pending_offer);
  if (offer != NULL)
    vsa_agent_start_session (self, offer, servers);
}

static void
vsa_agent_negotiate (VsaAgent *self, VsaOffer *offer)
{
  g_free (self->offer_checksum);
  self->offer_checksum = vsa_agent_offer_checksum (offer);
  g_clear_pointer (&self->last_problem, g_free);
  g_clear_pointer (&self->pending_offer, vsa_offer_free);
  vsa_session_host_begin (self->host, offer->sdp);

  if (vsa_ice_servers_get_fresh (self->ice_servers) != NULL)
    {
      g_autoptr (VsaOffer) owned = offer;

      vsa_agent_start_session (self, owned, vsa_ice_servers_get_fresh (self->ice_servers));
      return;
    }
  self->pending_offer = offer;
  vsa_controller_get_ice_servers_async (self->controller, self->cancellable,
                                        vsa_agent_on_ice_servers, self);
}

/* --- polling the offer ----------------------------------------------------------------- */

static guint
vsa_agent_poll_interval_ms (VsaAgent *self)
{
  if (vsa_session_host_get_state (self->host) != VSA_SESSION_HOST_STREAMING
      && g_get_monotonic_time () < self->fast_poll_until)
    return self->config->poll_fast_ms;
  return self->config->poll_slow_ms;
}

/* The same unusable offer polled again is not logged again, whatever came between. */
static void
vsa_agent_note_unusable_offer (VsaAgent *self, const GError *error)
{
  if (g_strcmp0 (error->message, self->offer_problem) == 0)
    return;
  g_warning ("session %s: %s: %s", self->config->session_id,
             error->domain == VSA_CONTROLLER_ERROR ? "the controller refused the offer request"
                                                   : "unusable offer",
             error->message);
  g_free (self->offer_problem);
  self->offer_problem = g_strdup (error->message);
}

static void
vsa_agent_on_offer (GObject *source, GAsyncResult *result, gpointer data)
{
  VsaAgent *self = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaOffer) offer = NULL;

  offer = vsa_controller_get_offer_finish (VSA_CONTROLLER (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (error != NULL && vsa_controller_error_is_transient (error))
    {
      /* GIO's "Could not connect to HOST" leaves out the port: the URL says it */
      g_autofree char *what = g_strdup_printf ("controller unreachable at %s, retrying",
                                               self->config->controller_url);

      vsa_agent_report_problem (self, what, error);
      vsa_agent_set_controller_problem (self, error->message);
      vsa_agent_schedule_poll (self, vsa_agent_retry_delay_ms (self));
      return;
    }
  vsa_backoff_reset (&self->backoff);
  vsa_agent_set_controller_problem (self, NULL);
  if (error != NULL)
    vsa_agent_note_unusable_offer (self, error);
  else
    g_clear_pointer (&self->offer_problem, g_free);
  if (vsa_agent_is_new_offer (self, offer))
    vsa_agent_negotiate (self, g_steal_pointer (&offer));
  vsa_agent_schedule_poll (self, vsa_agent_poll_interval_ms (self));
}

static gboolean
vsa_agent_poll_offer (gpointer data)
{
  VsaAgent *self = data;

  self->poll_id = 0;
  vsa_controller_get_offer_async (self->controller, self->cancellable, vsa_agent_on_offer, self);
  return G_SOURCE_REMOVE;
}

static void
vsa_agent_schedule_poll (VsaAgent *self, guint delay_ms)
{
  g_clear_handle_id (&self->poll_id, g_source_remove);
  self->poll_id = g_timeout_add (delay_ms, vsa_agent_poll_offer, self);
}

void
vsa_agent_start (VsaAgent *self)
{
  self->fast_poll_until
      = g_get_monotonic_time () + (gint64) self->config->fast_window_s * G_USEC_PER_SEC;
  g_message ("session %s: waiting for an offer from %s", self->config->session_id,
             self->config->controller_url);
  vsa_agent_update_status (self);
  vsa_process_prepare ();
  vsa_ice_servers_start_refresh (self->ice_servers);
  vsa_agent_schedule_poll (self, 0);
}

void
vsa_agent_stop (VsaAgent *self)
{
  g_cancellable_cancel (self->cancellable);
  vsa_process_prepare_wait ();
  g_clear_handle_id (&self->poll_id, g_source_remove);
  if (self->ice_servers != NULL)
    vsa_ice_servers_stop_refresh (self->ice_servers);
  g_clear_pointer (&self->pending_offer, vsa_offer_free);
  vsa_agent_clear_session (self);
  if (self->host != NULL)
    vsa_session_host_stop (self->host);
}

GVariant *
vsa_agent_hand_over (VsaAgent *self)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  if (self->offer_checksum != NULL)
    g_variant_dict_insert (&dict, "offer-sha256", "s", self->offer_checksum);
  return g_variant_dict_end (&dict);
}

void
vsa_agent_take_over (VsaAgent *self, GVariant *handover)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, handover);
  g_clear_pointer (&self->offer_checksum, g_free);
  g_variant_dict_lookup (&dict, "offer-sha256", "s", &self->offer_checksum);
  g_variant_dict_clear (&dict);
}
