/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vsa-agent.h"

#include <string.h>

#include "vsa-backoff.h"
#include "vsa-controller.h"
#include "vsa-ice-servers.h"
#include "vsa-process.h"
#include "vsa-session.h"
#include "vsa-trickle.h"

#define BACKOFF_MAX_MS 5000
/* The browser waits about 60 s for the answer, and the session 30 s for a connection. */
#define ANSWER_POST_DEADLINE_S 20

struct _VsaAgent
{
  GObject parent_instance;

  const VsaConfig *config;
  VsaController *controller;
  GCancellable *cancellable; /* every request; cancelled by stop */
  GRand *rand;
  VsaBackoff backoff;

  VsaAgentState state;
  guint poll_id;
  gint64 fast_poll_until;   /* monotonic µs */
  char *last_problem;       /* the last error logged, so a repeated one is logged once */
  char *offer_problem;      /* why the offer polled last was unusable, logged once */
  char *controller_problem; /* why the last offer poll failed, until one succeeds */
  char *last_end;           /* why the last session ended */
  char *status;             /* vsa_agent_get_status() */

  /* The offer being answered or streamed; never answered twice. */
  char *offer_sdp;
  gint64 offer_seen_at;
  VsaOffer *pending_offer; /* while its ICE servers are fetched */
  VsaIceServers *ice_servers;
  VsaSession *session;
  GCancellable *session_cancellable;
  VsaCodecChoice *choice;
  gboolean answer_posted;
  gint64 answer_first_try; /* monotonic µs */
  char *answer_sdp;
  GPtrArray *answer_candidates;
  guint answer_retry_id;
  VsaTrickle *trickle; /* the session's candidates both ways */
  guint answered_count;

  /* for logs and metrics */
  char *offer_id;
  const char *codec; /* the current session's, static */
  VsaAgentStats stats;
};

G_DEFINE_FINAL_TYPE (VsaAgent, vsa_agent, G_TYPE_OBJECT)

enum
{
  SIGNAL_STATE_CHANGED,
  SIGNAL_STATUS_CHANGED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static void schedule_poll (VsaAgent *self, guint delay_ms);
static void end_session (VsaAgent *self, VsaEndReason kind, const char *reason, gboolean failed);

const double vsa_agent_answer_buckets_s[VSA_AGENT_ANSWER_BUCKETS]
    = { 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };

const char *
vsa_agent_state_to_string (VsaAgentState state)
{
  static const char *const names[] = { "waiting", "negotiating", "streaming", "ended" };

  return names[state];
}

static void
vsa_agent_dispose (GObject *object)
{
  vsa_agent_stop (VSA_AGENT (object));
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
  g_free (self->last_end);
  g_free (self->status);
  g_free (self->offer_sdp);
  g_free (self->offer_id);
  vsa_ice_servers_free (self->ice_servers);
  G_OBJECT_CLASS (vsa_agent_parent_class)->finalize (object);
}

static void
vsa_agent_class_init (VsaAgentClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = vsa_agent_dispose;
  object_class->finalize = vsa_agent_finalize;
  signals[SIGNAL_STATE_CHANGED]
      = g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 1, G_TYPE_INT);
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
  self->stats.last_offer_to_answer_s = -1;
}

VsaAgent *
vsa_agent_new (const VsaConfig *config, GError **error)
{
  g_autoptr (VsaAgent) self = g_object_new (VSA_TYPE_AGENT, NULL);

  self->config = config;
  self->controller = vsa_controller_new (config, error);
  if (self->controller == NULL)
    return NULL;
  self->ice_servers = vsa_ice_servers_new (self->controller, config);
  return g_steal_pointer (&self);
}

VsaAgentState
vsa_agent_get_state (VsaAgent *self)
{
  return self->state;
}

guint
vsa_agent_get_answered_count (VsaAgent *self)
{
  return self->answered_count;
}

guint
vsa_agent_get_bitrate_kbps (VsaAgent *self)
{
  return self->session != NULL ? vsa_session_get_bitrate_kbps (self->session) : 0;
}

gboolean
vsa_agent_get_loss_by_feedback (VsaAgent *self)
{
  return self->session != NULL && vsa_session_get_loss_by_feedback (self->session);
}

const char *
vsa_agent_get_offer_id (VsaAgent *self)
{
  return self->state != VSA_AGENT_STATE_WAITING ? self->offer_id : NULL;
}

const char *
vsa_agent_get_codec (VsaAgent *self)
{
  return self->state != VSA_AGENT_STATE_WAITING ? self->codec : NULL;
}

void
vsa_agent_get_stats (VsaAgent *self, VsaAgentStats *out)
{
  *out = self->stats;
  out->state = self->state;
  out->sessions_answered = self->answered_count;
  out->codec = NULL;
  memset (&out->session, 0, sizeof out->session);
  out->session.rtt_s = -1;
  if (self->session == NULL)
    return;
  /* the totals so far are the ended sessions'; add the current one's */
  vsa_session_get_stats (self->session, &out->session);
  out->codec = self->codec;
  out->frames_sent += out->session.frames;
  out->keyframes_sent += out->session.keyframes;
  out->keyframe_requests += out->session.keyframe_requests;
}

const char *
vsa_agent_get_status (VsaAgent *self)
{
  return self->status;
}

static char *
describe_state (VsaAgent *self)
{
  const char *resolution;

  switch (self->state)
    {
    case VSA_AGENT_STATE_WAITING:
      if (self->last_end != NULL)
        return g_strdup_printf ("waiting for an offer (last session ended: %s)", self->last_end);
      return g_strdup ("waiting for an offer");
    case VSA_AGENT_STATE_NEGOTIATING:
      if (self->choice == NULL)
        return g_strdup ("negotiating: offer received");
      return g_strdup_printf ("negotiating: answering with %s, payload type %u%s",
                              vsa_codec_to_encoding_name (self->choice->codec),
                              self->choice->payload_type,
                              self->answer_posted ? ", answer stored, connecting" : "");
    case VSA_AGENT_STATE_STREAMING:
      resolution = self->session != NULL ? vsa_session_get_resolution (self->session) : NULL;
      return g_strdup_printf ("streaming %s%s%s %u fps", resolution != NULL ? resolution : "",
                              resolution != NULL ? " " : "",
                              vsa_codec_to_encoding_name (self->choice->codec), self->config->fps);
    case VSA_AGENT_STATE_ENDED:
    default:
      return g_strdup_printf ("session ended: %s", self->last_end != NULL ? self->last_end : "");
    }
}

/* Recomputed after anything it shows changed; "status-changed" only when it did. */
static void
update_status (VsaAgent *self)
{
  g_autofree char *state = describe_state (self);
  g_autofree char *status = NULL;

  /* Waiting on a controller that does not answer: that is the news. */
  if (self->controller_problem != NULL && self->state == VSA_AGENT_STATE_WAITING)
    status = g_strdup_printf ("controller unreachable: %s", self->controller_problem);
  else if (self->controller_problem != NULL)
    status = g_strdup_printf ("%s; controller unreachable: %s", state, self->controller_problem);
  else
    status = g_steal_pointer (&state);
  if (g_strcmp0 (status, self->status) == 0)
    return;
  g_free (self->status);
  self->status = g_steal_pointer (&status);
  g_signal_emit (self, signals[SIGNAL_STATUS_CHANGED], 0, self->status);
}

static void
set_controller_problem (VsaAgent *self, const char *problem)
{
  if (g_strcmp0 (problem, self->controller_problem) == 0)
    return;
  g_free (self->controller_problem);
  self->controller_problem = g_strdup (problem);
  update_status (self);
}

/* One line per change; a warning when the agent could not do its part (failed). */
static void
set_state_full (VsaAgent *self, VsaAgentState state, const char *detail, gboolean failed)
{
  if (self->state == state && detail == NULL)
    return;
  self->state = state;
  /* first the signal: the journal's STATE= field of the line below follows it */
  g_signal_emit (self, signals[SIGNAL_STATE_CHANGED], 0, (int) state);
  g_log (G_LOG_DOMAIN, failed ? G_LOG_LEVEL_WARNING : G_LOG_LEVEL_MESSAGE, "session %s: %s%s%s",
         self->config->session_id, vsa_agent_state_to_string (state), detail != NULL ? ": " : "",
         detail != NULL ? detail : "");
  update_status (self);
}

static void
set_state (VsaAgent *self, VsaAgentState state, const char *detail)
{
  set_state_full (self, state, detail, FALSE);
}

/* Errors that repeat on every poll are logged once, until something else happens. */
static void
report_problem (VsaAgent *self, const char *what, const GError *error)
{
  g_autofree char *line = g_strdup_printf ("%s: %s", what, error->message);

  if (g_strcmp0 (line, self->last_problem) == 0)
    return;
  g_warning ("session %s: %s", self->config->session_id, line);
  g_free (self->last_problem);
  self->last_problem = g_steal_pointer (&line);
}

static gint64
ms_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1000;
}

/* --- the session's signals ------------------------------------------------------------ */

/* The controller's delay for a failed request: its Retry-After, else our backoff. */
static guint
retry_delay_ms (VsaAgent *self)
{
  guint backoff_ms = vsa_backoff_next_ms (&self->backoff, self->rand);

  return MAX (backoff_ms, vsa_controller_get_retry_after_s (self->controller) * 1000);
}

/* The trickle's callbacks. */
static void
on_remote_candidate (VsaCandidate *candidate, gpointer data)
{
  VsaAgent *self = data;

  vsa_session_add_remote_candidate (self->session, candidate);
}

static void
on_trickle_problem (const char *what, const GError *error, gpointer data)
{
  report_problem (data, what, error);
}

static guint
trickle_retry_delay_ms (gpointer data)
{
  return retry_delay_ms (data);
}

static const VsaTrickleCallbacks trickle_callbacks
    = { on_remote_candidate, on_trickle_problem, trickle_retry_delay_ms };

static void post_answer (VsaAgent *self);

static gboolean
retry_answer (gpointer data)
{
  VsaAgent *self = data;

  self->answer_retry_id = 0;
  post_answer (self);
  return G_SOURCE_REMOVE;
}

static void
observe_offer_to_answer (VsaAgent *self, double seconds)
{
  self->stats.last_offer_to_answer_s = seconds;
  self->stats.offer_to_answer_count++;
  self->stats.offer_to_answer_sum_s += seconds;
  for (guint i = 0; i < VSA_AGENT_ANSWER_BUCKETS; i++)
    if (seconds <= vsa_agent_answer_buckets_s[i])
      self->stats.offer_to_answer_le[i]++;
}

static void
on_answer_posted (GObject *source, GAsyncResult *result, gpointer data)
{
  VsaAgent *self = data;
  g_autoptr (GError) error = NULL;

  if (!vsa_controller_post_answer_finish (VSA_CONTROLLER (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      report_problem (self, "posting the answer", error);
      if (vsa_controller_error_is_transient (error)
          && g_get_monotonic_time () - self->answer_first_try
                 < ANSWER_POST_DEADLINE_S * G_USEC_PER_SEC)
        self->answer_retry_id = g_timeout_add (retry_delay_ms (self), retry_answer, self);
      else
        end_session (self, VSA_END_REASON_ANSWER_REFUSED, "the controller did not take the answer",
                     TRUE);
      return;
    }

  self->answer_posted = TRUE;
  vsa_session_set_answer_stored (self->session);
  self->answered_count++;
  observe_offer_to_answer (self, ms_since (self->offer_seen_at) / 1000.0);
  g_message ("session %s: answer stored %" G_GINT64_FORMAT " ms after the offer (%s, payload type "
             "%u, %u candidates)",
             self->config->session_id, ms_since (self->offer_seen_at),
             vsa_codec_to_string (self->choice->codec), self->choice->payload_type,
             self->answer_candidates->len);

  update_status (self);

  /* The answer replaced the controller's VM candidates: only now do later ones stick. */
  vsa_trickle_answer_stored (self->trickle);
}

static void
post_answer (VsaAgent *self)
{
  if (self->answer_first_try == 0)
    self->answer_first_try = g_get_monotonic_time ();
  vsa_controller_post_answer_async (self->controller, self->answer_sdp, self->answer_candidates,
                                    self->session_cancellable, on_answer_posted, self);
}

static void negotiate (VsaAgent *self, VsaOffer *offer);

/* An offer is answered once: the same SDP polled again is not new. */
static gboolean
is_new_offer (VsaAgent *self, const VsaOffer *offer)
{
  return offer != NULL && g_strcmp0 (offer->sdp, self->offer_sdp) != 0;
}

/* The controller gives a newer offer's page whatever answer it holds, so an answer to a
 * replaced offer must not be posted: look once more just before posting. */
static void
on_offer_rechecked (GObject *source, GAsyncResult *result, gpointer data)
{
  VsaAgent *self = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaOffer) offer = NULL;

  offer = vsa_controller_get_offer_finish (VSA_CONTROLLER (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (is_new_offer (self, offer))
    negotiate (self, g_steal_pointer (&offer));
  else
    post_answer (self);
}

static void
on_answer_ready (VsaSession *session, const char *sdp, GPtrArray *candidates, VsaAgent *self)
{
  self->answer_sdp = g_strdup (sdp);
  self->answer_candidates = g_ptr_array_ref (candidates);
  vsa_backoff_reset (&self->backoff);
  vsa_controller_get_offer_async (self->controller, self->session_cancellable, on_offer_rechecked,
                                  self);
}

static void
on_local_candidate (VsaSession *session, VsaCandidate *candidate, VsaAgent *self)
{
  vsa_trickle_add_local (self->trickle, candidate);
}

static void
on_connected (VsaSession *session, VsaAgent *self)
{
  g_autofree char *detail = NULL;
  const char *resolution = vsa_session_get_resolution (session);

  vsa_trickle_stop_polling (self->trickle);
  self->stats.sessions_streamed++;
  detail = g_strdup_printf (
      "%s %s, payload type %u, connected %" G_GINT64_FORMAT " ms after the offer",
      resolution != NULL ? resolution : "", vsa_codec_to_string (self->choice->codec),
      self->choice->payload_type, ms_since (self->offer_seen_at));
  set_state (self, VSA_AGENT_STATE_STREAMING, g_strstrip (detail));
}

static void
on_session_ended (VsaSession *session, const char *reason, VsaAgent *self)
{
  g_autofree char *unanswered = NULL;
  VsaEndReason kind = vsa_session_get_end_reason (session);

  /* The browser never got its answer: that is a failure, whatever ended the session. */
  if (!self->answer_posted)
    {
      unanswered = g_strdup_printf ("%s before the answer was stored", reason);
      end_session (self, kind, unanswered, TRUE);
      return;
    }
  end_session (self, kind, reason, FALSE);
}

/* --- sessions -------------------------------------------------------------------------- */

static void
clear_session (VsaAgent *self)
{
  g_cancellable_cancel (self->session_cancellable);
  g_clear_object (&self->session_cancellable);
  g_clear_pointer (&self->trickle, vsa_trickle_free);
  g_clear_handle_id (&self->answer_retry_id, g_source_remove);
  if (self->session != NULL)
    {
      VsaSessionStats stats;

      /* the process's totals keep what the session counted */
      vsa_session_get_stats (self->session, &stats);
      self->stats.frames_sent += stats.frames;
      self->stats.keyframes_sent += stats.keyframes;
      self->stats.keyframe_requests += stats.keyframe_requests;
      g_signal_handlers_disconnect_by_data (self->session, self);
      vsa_session_stop (self->session);
      g_clear_object (&self->session);
      vsa_process_release_memory_soon ();
    }
  g_clear_pointer (&self->choice, vsa_codec_choice_free);
  g_clear_pointer (&self->answer_sdp, g_free);
  g_clear_pointer (&self->answer_candidates, g_ptr_array_unref);
  self->answer_posted = FALSE;
  self->answer_first_try = 0;
}

static void
end_session (VsaAgent *self, VsaEndReason kind, const char *reason, gboolean failed)
{
  clear_session (self);
  self->stats.sessions_ended[kind]++;
  if (failed)
    self->stats.sessions_failed[kind]++;
  g_free (self->last_end);
  self->last_end = g_strdup (reason);
  set_state_full (self, VSA_AGENT_STATE_ENDED, reason, failed);
  self->fast_poll_until
      = g_get_monotonic_time () + (gint64) self->config->fast_window_s * G_USEC_PER_SEC;
  set_state (self, VSA_AGENT_STATE_WAITING, NULL);
}

static void
start_session (VsaAgent *self, VsaOffer *offer, GPtrArray *ice_servers)
{
  g_autoptr (GstSDPMessage) sdp = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *reason = NULL;

  /* The offer stays remembered, so an offer that cannot be answered is logged once. */
  if (gst_sdp_message_new_from_text (offer->sdp, &sdp) != GST_SDP_OK)
    {
      end_session (self, VSA_END_REASON_OFFER_UNUSABLE,
                   "offer not answered: its SDP does not parse", TRUE);
      return;
    }
  self->choice = vsa_codec_choose (sdp, (const char *const *) self->config->codecs, NULL, &error);
  if (self->choice == NULL)
    {
      reason = g_strdup_printf ("offer not answered: %s", error->message);
      end_session (self, VSA_END_REASON_OFFER_UNUSABLE, reason, TRUE);
      return;
    }

  self->codec = vsa_codec_to_encoding_name (self->choice->codec);
  update_status (self);

  self->session_cancellable = g_cancellable_new ();
  self->trickle = vsa_trickle_new (self->controller, &trickle_callbacks, self);
  self->session = vsa_session_new (self->config, self->choice);
  g_signal_connect (self->session, "answer-ready", G_CALLBACK (on_answer_ready), self);
  g_signal_connect (self->session, "local-candidate", G_CALLBACK (on_local_candidate), self);
  g_signal_connect (self->session, "connected", G_CALLBACK (on_connected), self);
  g_signal_connect (self->session, "ended", G_CALLBACK (on_session_ended), self);
  if (!vsa_session_start (self->session, sdp, offer->candidates, ice_servers, &error))
    {
      reason = g_strdup_printf ("cannot start streaming: %s", error->message);
      end_session (self, VSA_END_REASON_START_FAILED, reason, TRUE);
      return;
    }
  g_debug ("session %s: sending %s with payload type %u", self->config->session_id,
           vsa_codec_to_string (self->choice->codec), self->choice->payload_type);
}

static void
on_ice_servers (GObject *source, GAsyncResult *result, gpointer data)
{
  VsaAgent *self = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) servers = NULL;
  g_autoptr (VsaOffer) offer = NULL;

  servers = vsa_controller_get_ice_servers_finish (VSA_CONTROLLER (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (servers == NULL)
    report_problem (self, "no ICE servers from the controller, going on without", error);
  else
    vsa_ice_servers_keep (self->ice_servers, servers);
  offer = g_steal_pointer (&self->pending_offer);
  if (offer != NULL)
    start_session (self, offer, servers);
}

static void
negotiate (VsaAgent *self, VsaOffer *offer)
{
  g_autofree char *detail = NULL;

  if (self->state != VSA_AGENT_STATE_WAITING)
    end_session (self, VSA_END_REASON_NEWER_OFFER, "a newer offer arrived", FALSE);

  g_free (self->offer_sdp);
  self->offer_sdp = g_strdup (offer->sdp);
  self->offer_seen_at = g_get_monotonic_time ();
  g_free (self->offer_id);
  self->offer_id = vsa_offer_dup_id (offer->sdp);
  self->codec = NULL;
  self->stats.sessions_started++;
  g_clear_pointer (&self->last_problem, g_free);
  detail = g_strdup_printf ("offer %s", self->offer_id);
  set_state (self, VSA_AGENT_STATE_NEGOTIATING, detail);

  g_clear_pointer (&self->pending_offer, vsa_offer_free);
  if (vsa_ice_servers_get_fresh (self->ice_servers) != NULL)
    {
      g_autoptr (VsaOffer) owned = offer;

      start_session (self, owned, vsa_ice_servers_get_fresh (self->ice_servers));
      return;
    }
  self->pending_offer = offer;
  vsa_controller_get_ice_servers_async (self->controller, self->cancellable, on_ice_servers, self);
}

/* --- polling the offer ----------------------------------------------------------------- */

static guint
poll_interval_ms (VsaAgent *self)
{
  if (self->state != VSA_AGENT_STATE_STREAMING && g_get_monotonic_time () < self->fast_poll_until)
    return self->config->poll_fast_ms;
  return self->config->poll_slow_ms;
}

/* The same unusable offer polled again is not logged again, whatever came between. */
static void
note_unusable_offer (VsaAgent *self, const GError *error)
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
on_offer (GObject *source, GAsyncResult *result, gpointer data)
{
  VsaAgent *self = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaOffer) offer = NULL;

  offer = vsa_controller_get_offer_finish (VSA_CONTROLLER (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (error != NULL && vsa_controller_error_is_transient (error))
    {
      report_problem (self, "controller unreachable, retrying", error);
      set_controller_problem (self, error->message);
      schedule_poll (self, retry_delay_ms (self));
      return;
    }
  vsa_backoff_reset (&self->backoff);
  set_controller_problem (self, NULL);
  if (error != NULL)
    note_unusable_offer (self, error);
  else
    g_clear_pointer (&self->offer_problem, g_free);
  if (is_new_offer (self, offer))
    negotiate (self, g_steal_pointer (&offer));
  schedule_poll (self, poll_interval_ms (self));
}

static gboolean
poll_offer (gpointer data)
{
  VsaAgent *self = data;

  self->poll_id = 0;
  vsa_controller_get_offer_async (self->controller, self->cancellable, on_offer, self);
  return G_SOURCE_REMOVE;
}

static void
schedule_poll (VsaAgent *self, guint delay_ms)
{
  g_clear_handle_id (&self->poll_id, g_source_remove);
  self->poll_id = g_timeout_add (delay_ms, poll_offer, self);
}

void
vsa_agent_start (VsaAgent *self)
{
  self->fast_poll_until
      = g_get_monotonic_time () + (gint64) self->config->fast_window_s * G_USEC_PER_SEC;
  g_message ("session %s: waiting for an offer from %s", self->config->session_id,
             self->config->controller_url);
  update_status (self);
  vsa_process_prepare ();
  vsa_ice_servers_start_refresh (self->ice_servers);
  schedule_poll (self, 0);
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
  clear_session (self);
}
