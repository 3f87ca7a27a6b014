/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vsa-session-host.h"

#include <string.h>

#include "vsa-process.h"
#include "vsa-signaling.h"

struct _VsaSessionHost
{
  GObject parent_instance;

  const VsaConfig *config;
  char *name;
  VsaSessionHostState state;
  char *status;   /* vsa_session_host_get_status() */
  char *last_end; /* why the last session ended */
  VsaEndReason last_end_kind;

  /* the offer taken up, and its session once started */
  char *offer_id;
  gint64 offer_at; /* monotonic µs */
  VsaCodecChoice *choice;
  const char *codec; /* its encoding name, kept until the next offer for the journal */
  VsaSession *session;
  GPtrArray *leaving;      /* of Leaving: ended sessions whose goodbye is still going out */
  guint answer_candidates; /* carried by the answer, for the log */

  VsaSessionHostStats stats;
};

G_DEFINE_FINAL_TYPE (VsaSessionHost, vsa_session_host, G_TYPE_OBJECT)

enum
{
  SIGNAL_STATE_CHANGED,
  SIGNAL_STATUS_CHANGED,
  SIGNAL_ANSWER_READY,
  SIGNAL_LOCAL_CANDIDATE,
  SIGNAL_SESSION_RELEASED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

const double vsa_session_host_answer_buckets_s[VSA_SESSION_HOST_ANSWER_BUCKETS]
    = { 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };

const char *
vsa_session_host_state_to_string (VsaSessionHostState state)
{
  static const char *const names[] = { "waiting", "negotiating", "streaming", "ended" };

  return names[state];
}

/* An ended session whose goodbye to the page is still going out: stopped once its
 * channels' buffers are empty and 10 ms more for the packet to leave, 100 ms at most, on
 * the main loop (a newer offer's answer does not wait for it). */
#define GOODBYE_MAX_MS 100
#define GOODBYE_SEND_MS 10

typedef struct
{
  VsaSessionHost *host;
  VsaSession *session;
  gint64 deadline; /* monotonic µs */
  guint timeout_id;
} Leaving;

static void
vsa_session_host_leaving_free (gpointer data)
{
  Leaving *leaving = data;

  g_clear_handle_id (&leaving->timeout_id, g_source_remove);
  vsa_session_stop (leaving->session);
  g_object_unref (leaving->session);
  g_free (leaving);
}

/* An ended session is gone, its goodbye sent: its memory can be given back. */
static void
vsa_session_host_released (VsaSessionHost *self)
{
  vsa_process_release_memory_soon ();
  g_signal_emit (self, signals[SIGNAL_SESSION_RELEASED], 0);
}

static gboolean
vsa_session_host_leaving_check (gpointer data)
{
  Leaving *leaving = data;
  VsaSessionHost *host = leaving->host;
  gint64 now = g_get_monotonic_time ();

  if (vsa_session_get_goodbye_buffered (leaving->session) == 0)
    leaving->deadline = MIN (leaving->deadline, now + GOODBYE_SEND_MS * G_TIME_SPAN_MILLISECOND);
  if (now < leaving->deadline)
    return G_SOURCE_CONTINUE;
  leaving->timeout_id = 0;
  g_ptr_array_remove (leaving->host->leaving, leaving);
  vsa_session_host_released (host);
  return G_SOURCE_REMOVE;
}

static void
vsa_session_host_leave (VsaSessionHost *self, VsaSession *session)
{
  Leaving *leaving = g_new0 (Leaving, 1);

  leaving->host = self;
  leaving->session = session;
  leaving->deadline = g_get_monotonic_time () + GOODBYE_MAX_MS * G_TIME_SPAN_MILLISECOND;
  leaving->timeout_id = g_timeout_add (5, vsa_session_host_leaving_check, leaving);
  g_ptr_array_add (self->leaving, leaving);
}

static void
vsa_session_host_dispose (GObject *object)
{
  vsa_session_host_stop (VSA_SESSION_HOST (object));
  G_OBJECT_CLASS (vsa_session_host_parent_class)->dispose (object);
}

static void
vsa_session_host_finalize (GObject *object)
{
  VsaSessionHost *self = VSA_SESSION_HOST (object);

  g_free (self->name);
  g_free (self->status);
  g_free (self->last_end);
  g_free (self->offer_id);
  g_ptr_array_unref (self->leaving);
  G_OBJECT_CLASS (vsa_session_host_parent_class)->finalize (object);
}

static void
vsa_session_host_class_init (VsaSessionHostClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = vsa_session_host_dispose;
  object_class->finalize = vsa_session_host_finalize;
  signals[SIGNAL_STATE_CHANGED]
      = g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 1, G_TYPE_INT);
  signals[SIGNAL_STATUS_CHANGED]
      = g_signal_new ("status-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_ANSWER_READY]
      = g_signal_new ("answer-ready", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_PTR_ARRAY);
  signals[SIGNAL_LOCAL_CANDIDATE]
      = g_signal_new ("local-candidate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                      NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_SESSION_RELEASED]
      = g_signal_new ("session-released", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                      NULL, NULL, G_TYPE_NONE, 0);
}

static void
vsa_session_host_init (VsaSessionHost *self)
{
  self->stats.last_offer_to_answer_s = -1;
  self->leaving = g_ptr_array_new_with_free_func (vsa_session_host_leaving_free);
}

static void vsa_session_host_update_status (VsaSessionHost *self);

VsaSessionHost *
vsa_session_host_new (const VsaConfig *config, const char *name)
{
  VsaSessionHost *self = g_object_new (VSA_TYPE_SESSION_HOST, NULL);

  self->config = config;
  self->name = g_strdup (name);
  vsa_session_host_update_status (self);
  return self;
}

static gint64
vsa_session_host_ms_since_offer (VsaSessionHost *self)
{
  return (g_get_monotonic_time () - self->offer_at) / 1000;
}

/* --- state and status ------------------------------------------------------------------ */

static char *
vsa_session_host_describe (VsaSessionHost *self)
{
  const char *resolution;

  switch (self->state)
    {
    case VSA_SESSION_HOST_WAITING:
      if (self->last_end != NULL)
        return g_strdup_printf ("waiting for an offer (last session ended: %s)", self->last_end);
      return g_strdup ("waiting for an offer");
    case VSA_SESSION_HOST_NEGOTIATING:
      if (self->choice == NULL)
        return g_strdup ("negotiating: offer received");
      return g_strdup_printf ("negotiating: answering with %s, payload type %u%s",
                              vsa_codec_to_encoding_name (self->choice->codec),
                              self->choice->payload_type,
                              self->session != NULL && vsa_session_get_answer_stored (self->session)
                                  ? ", answer stored, connecting"
                                  : "");
    case VSA_SESSION_HOST_STREAMING:
      resolution = vsa_session_get_resolution (self->session);
      return g_strdup_printf ("streaming %s%s%s %u fps", resolution != NULL ? resolution : "",
                              resolution != NULL ? " " : "",
                              vsa_codec_to_encoding_name (self->choice->codec), self->config->fps);
    case VSA_SESSION_HOST_ENDED:
    default:
      return g_strdup_printf ("session ended: %s", self->last_end != NULL ? self->last_end : "");
    }
}

/* Recomputed after anything it shows changed; "status-changed" only when it did. */
static void
vsa_session_host_update_status (VsaSessionHost *self)
{
  g_autofree char *status = vsa_session_host_describe (self);

  if (g_strcmp0 (status, self->status) == 0)
    return;
  g_free (self->status);
  self->status = g_steal_pointer (&status);
  g_signal_emit (self, signals[SIGNAL_STATUS_CHANGED], 0, self->status);
}

/* One line per change; a warning when the session failed. */
static void
vsa_session_host_set_state (VsaSessionHost *self, VsaSessionHostState state, const char *detail,
                            gboolean failed)
{
  if (self->state == state && detail == NULL)
    return;
  self->state = state;
  /* first the signal: the journal's STATE= field of the line below follows it */
  g_signal_emit (self, signals[SIGNAL_STATE_CHANGED], 0, (int) state);
  g_log (G_LOG_DOMAIN, failed ? G_LOG_LEVEL_WARNING : G_LOG_LEVEL_MESSAGE, "session %s: %s%s%s",
         self->name, vsa_session_host_state_to_string (state), detail != NULL ? ": " : "",
         detail != NULL ? detail : "");
  vsa_session_host_update_status (self);
}

/* --- the session's signals ------------------------------------------------------------- */

static void
vsa_session_host_on_answer_ready (VsaSession *session, const char *sdp, GPtrArray *candidates,
                                  VsaSessionHost *self)
{
  self->answer_candidates = candidates->len;
  g_signal_emit (self, signals[SIGNAL_ANSWER_READY], 0, sdp, candidates);
}

static void
vsa_session_host_on_local_candidate (VsaSession *session, VsaCandidate *candidate,
                                     VsaSessionHost *self)
{
  g_signal_emit (self, signals[SIGNAL_LOCAL_CANDIDATE], 0, candidate);
}

static void
vsa_session_host_on_connected (VsaSession *session, VsaSessionHost *self)
{
  g_autofree char *detail = NULL;
  const char *resolution = vsa_session_get_resolution (session);

  self->stats.sessions_streamed++;
  detail = g_strdup_printf (
      "%s %s, payload type %u, connected %" G_GINT64_FORMAT " ms after the offer",
      resolution != NULL ? resolution : "", vsa_codec_to_string (self->choice->codec),
      self->choice->payload_type, vsa_session_host_ms_since_offer (self));
  vsa_session_host_set_state (self, VSA_SESSION_HOST_STREAMING, g_strstrip (detail), FALSE);
}

static void
vsa_session_host_on_ended (VsaSession *session, const char *reason, VsaSessionHost *self)
{
  g_autofree char *unanswered = NULL;

  /* The browser never got its answer: say so, whatever ended the session. */
  if (!vsa_session_get_answer_stored (session))
    reason = unanswered = g_strdup_printf ("%s before the answer was stored", reason);
  vsa_session_host_end (self, vsa_session_get_end_reason (session), reason);
}

/* --- a session's life ------------------------------------------------------------------ */

void
vsa_session_host_begin (VsaSessionHost *self, const char *offer_sdp)
{
  g_autofree char *detail = NULL;

  vsa_session_host_end (self, VSA_END_REASON_NEWER_OFFER, "a newer offer arrived");
  g_free (self->offer_id);
  self->offer_id = vsa_offer_dup_id (offer_sdp);
  self->offer_at = g_get_monotonic_time ();
  self->codec = NULL;
  self->stats.sessions_started++;
  detail = g_strdup_printf ("offer %s", self->offer_id);
  vsa_session_host_set_state (self, VSA_SESSION_HOST_NEGOTIATING, detail, FALSE);
}

gboolean
vsa_session_host_start (VsaSessionHost *self, GstSDPMessage *sdp, VsaCodecChoice *choice,
                        GPtrArray *offer_candidates, GPtrArray *ice_servers, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree char *reason = NULL;

  g_return_val_if_fail (self->state == VSA_SESSION_HOST_NEGOTIATING && self->session == NULL,
                        FALSE);
  self->choice = choice;
  self->codec = vsa_codec_to_encoding_name (choice->codec);
  vsa_session_host_update_status (self);
  self->session = vsa_session_new (self->config, self->choice);
  g_signal_connect (self->session, "answer-ready", G_CALLBACK (vsa_session_host_on_answer_ready),
                    self);
  g_signal_connect (self->session, "local-candidate",
                    G_CALLBACK (vsa_session_host_on_local_candidate), self);
  g_signal_connect (self->session, "connected", G_CALLBACK (vsa_session_host_on_connected), self);
  g_signal_connect (self->session, "ended", G_CALLBACK (vsa_session_host_on_ended), self);
  if (!vsa_session_start (self->session, sdp, offer_candidates, ice_servers, &local_error))
    {
      reason = g_strdup_printf ("cannot start streaming: %s", local_error->message);
      vsa_session_host_end (self, VSA_END_REASON_START_FAILED, reason);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  g_debug ("session %s: sending %s with payload type %u", self->name,
           vsa_codec_to_string (self->choice->codec), self->choice->payload_type);
  return TRUE;
}

static void
vsa_session_host_observe_offer_to_answer (VsaSessionHost *self, double seconds)
{
  self->stats.last_offer_to_answer_s = seconds;
  self->stats.offer_to_answer_count++;
  self->stats.offer_to_answer_sum_s += seconds;
  for (guint i = 0; i < VSA_SESSION_HOST_ANSWER_BUCKETS; i++)
    if (seconds <= vsa_session_host_answer_buckets_s[i])
      self->stats.offer_to_answer_le[i]++;
}

void
vsa_session_host_answer_stored (VsaSessionHost *self)
{
  gint64 ms = vsa_session_host_ms_since_offer (self);

  g_return_if_fail (self->session != NULL);
  vsa_session_set_answer_stored (self->session);
  self->stats.sessions_answered++;
  vsa_session_host_observe_offer_to_answer (self, ms / 1000.0);
  g_message ("session %s: answer stored %" G_GINT64_FORMAT " ms after the offer (%s, payload type "
             "%u, %u candidates)",
             self->name, ms, vsa_codec_to_string (self->choice->codec), self->choice->payload_type,
             self->answer_candidates);
  vsa_session_host_update_status (self);
}

void
vsa_session_host_add_remote_candidate (VsaSessionHost *self, const VsaCandidate *candidate)
{
  if (self->session != NULL)
    vsa_session_add_remote_candidate (self->session, candidate);
}

void
vsa_session_host_end_remote_candidates (VsaSessionHost *self)
{
  if (self->session != NULL)
    vsa_session_end_remote_candidates (self->session);
}

/* The session goes (after its goodbye if it said one); what it counted stays in the
 * host's totals. */
static void
vsa_session_host_clear (VsaSessionHost *self, gboolean said_goodbye)
{
  if (self->session != NULL)
    {
      VsaSessionStats stats;

      vsa_session_get_stats (self->session, &stats);
      self->stats.frames_sent += stats.frames;
      self->stats.keyframes_sent += stats.keyframes;
      self->stats.keyframe_requests += stats.keyframe_requests;
      g_signal_handlers_disconnect_by_data (self->session, self);
      if (said_goodbye)
        vsa_session_host_leave (self, g_steal_pointer (&self->session));
      else
        {
          vsa_session_stop (self->session);
          g_clear_object (&self->session);
          vsa_session_host_released (self);
        }
    }
  g_clear_pointer (&self->choice, vsa_codec_choice_free);
}

void
vsa_session_host_end (VsaSessionHost *self, VsaEndReason kind, const char *reason)
{
  gboolean failed, said_goodbye = FALSE;

  if (self->state == VSA_SESSION_HOST_WAITING)
    {
      vsa_session_host_update_status (self);
      return;
    }
  failed = kind != VSA_END_REASON_NEWER_OFFER
           && (self->session == NULL || !vsa_session_get_answer_stored (self->session));
  if (self->session != NULL)
    said_goodbye = vsa_session_say_ended (self->session, kind, reason);
  vsa_session_host_clear (self, said_goodbye);
  self->stats.sessions_ended[kind]++;
  if (failed)
    self->stats.sessions_failed[kind]++;
  g_free (self->last_end);
  self->last_end = g_strdup (reason);
  self->last_end_kind = kind;
  vsa_session_host_set_state (self, VSA_SESSION_HOST_ENDED, reason, failed);
  vsa_session_host_set_state (self, VSA_SESSION_HOST_WAITING, NULL, FALSE);
}

void
vsa_session_host_stop (VsaSessionHost *self)
{
  vsa_session_host_clear (self, FALSE);
  g_ptr_array_set_size (self->leaving, 0);
}

/* --- what it shows --------------------------------------------------------------------- */

VsaSessionHostState
vsa_session_host_get_state (VsaSessionHost *self)
{
  return self->state;
}

const char *
vsa_session_host_get_status (VsaSessionHost *self)
{
  return self->status;
}

const char *
vsa_session_host_get_offer_id (VsaSessionHost *self)
{
  return self->state != VSA_SESSION_HOST_WAITING ? self->offer_id : NULL;
}

const char *
vsa_session_host_get_codec (VsaSessionHost *self)
{
  return self->state != VSA_SESSION_HOST_WAITING ? self->codec : NULL;
}

const char *
vsa_session_host_get_last_end (VsaSessionHost *self, VsaEndReason *out_kind)
{
  if (out_kind != NULL)
    *out_kind = self->last_end_kind;
  return self->last_end;
}

VsaSession *
vsa_session_host_get_session (VsaSessionHost *self)
{
  return self->session;
}

void
vsa_session_host_get_stats (VsaSessionHost *self, VsaSessionHostStats *out)
{
  *out = self->stats;
  out->state = self->state;
  out->codec = NULL;
  memset (&out->session, 0, sizeof out->session);
  out->session.rtt_s = -1;
  if (self->session == NULL)
    return;
  /* the totals so far are the ended sessions'; add the current one's */
  vsa_session_get_stats (self->session, &out->session);
  out->codec = vsa_session_host_get_codec (self);
  out->frames_sent += out->session.frames;
  out->keyframes_sent += out->session.keyframes;
  out->keyframe_requests += out->session.keyframe_requests;
}

/* --- across a fresh start of the process ------------------------------------------------ */

/* The counters that outlive a process image, by name. */
static const struct
{
  const char *name;
  gsize offset;
} counters[] = {
  { "sessions-started", G_STRUCT_OFFSET (VsaSessionHostStats, sessions_started) },
  { "sessions-answered", G_STRUCT_OFFSET (VsaSessionHostStats, sessions_answered) },
  { "sessions-streamed", G_STRUCT_OFFSET (VsaSessionHostStats, sessions_streamed) },
  { "offer-to-answer-count", G_STRUCT_OFFSET (VsaSessionHostStats, offer_to_answer_count) },
  { "frames-sent", G_STRUCT_OFFSET (VsaSessionHostStats, frames_sent) },
  { "keyframes-sent", G_STRUCT_OFFSET (VsaSessionHostStats, keyframes_sent) },
  { "keyframe-requests", G_STRUCT_OFFSET (VsaSessionHostStats, keyframe_requests) },
};

static const struct
{
  const char *name;
  gsize offset;
  gsize length;
} counter_arrays[] = {
  { "sessions-ended", G_STRUCT_OFFSET (VsaSessionHostStats, sessions_ended), VSA_END_REASON_COUNT },
  { "sessions-failed", G_STRUCT_OFFSET (VsaSessionHostStats, sessions_failed),
    VSA_END_REASON_COUNT },
  { "offer-to-answer-le", G_STRUCT_OFFSET (VsaSessionHostStats, offer_to_answer_le),
    VSA_SESSION_HOST_ANSWER_BUCKETS },
};

GVariant *
vsa_session_host_hand_over (VsaSessionHost *self)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (counters); i++)
    g_variant_dict_insert (&dict, counters[i].name, "t",
                           G_STRUCT_MEMBER (guint64, &self->stats, counters[i].offset));
  for (gsize i = 0; i < G_N_ELEMENTS (counter_arrays); i++)
    g_variant_dict_insert_value (
        &dict, counter_arrays[i].name,
        g_variant_new_fixed_array (G_VARIANT_TYPE_UINT64,
                                   G_STRUCT_MEMBER_P (&self->stats, counter_arrays[i].offset),
                                   counter_arrays[i].length, sizeof (guint64)));
  g_variant_dict_insert (&dict, "offer-to-answer-sum-s", "d", self->stats.offer_to_answer_sum_s);
  g_variant_dict_insert (&dict, "last-offer-to-answer-s", "d", self->stats.last_offer_to_answer_s);
  if (self->last_end != NULL)
    {
      g_variant_dict_insert (&dict, "last-end", "s", self->last_end);
      g_variant_dict_insert (&dict, "last-end-kind", "i", (gint32) self->last_end_kind);
    }
  return g_variant_dict_end (&dict);
}

void
vsa_session_host_take_over (VsaSessionHost *self, GVariant *handover)
{
  GVariantDict dict;
  gint32 kind;
  char *last_end;

  g_variant_dict_init (&dict, handover);
  for (gsize i = 0; i < G_N_ELEMENTS (counters); i++)
    g_variant_dict_lookup (&dict, counters[i].name, "t",
                           G_STRUCT_MEMBER_P (&self->stats, counters[i].offset));
  for (gsize i = 0; i < G_N_ELEMENTS (counter_arrays); i++)
    {
      g_autoptr (GVariant) array
          = g_variant_dict_lookup_value (&dict, counter_arrays[i].name, G_VARIANT_TYPE ("at"));
      gsize length = 0;
      const guint64 *values
          = array != NULL ? g_variant_get_fixed_array (array, &length, sizeof (guint64)) : NULL;

      if (values != NULL)
        memcpy (G_STRUCT_MEMBER_P (&self->stats, counter_arrays[i].offset), values,
                MIN (length, counter_arrays[i].length) * sizeof (guint64));
    }
  g_variant_dict_lookup (&dict, "offer-to-answer-sum-s", "d", &self->stats.offer_to_answer_sum_s);
  g_variant_dict_lookup (&dict, "last-offer-to-answer-s", "d", &self->stats.last_offer_to_answer_s);
  if (g_variant_dict_lookup (&dict, "last-end-kind", "i", &kind) && kind >= 0
      && kind < VSA_END_REASON_COUNT && g_variant_dict_lookup (&dict, "last-end", "s", &last_end))
    {
      g_free (self->last_end);
      self->last_end = last_end;
      self->last_end_kind = kind;
    }
  g_variant_dict_clear (&dict);
  vsa_session_host_update_status (self);
}
