/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One offer answered by one webrtcbin: the object, its signals and API, the promise chain
 * (set-remote-description → create-answer → set-local-description, get-stats), the
 * negotiation's state, and the events that carry what webrtcbin's and GStreamer's threads
 * see to the main context. The parts it coordinates, each in its own file:
 *   vsa-webrtc           webrtcbin's set-up, its ICE servers, the answer check
 *   vsa-liveness         the timers that end a session whose stream or peer is gone
 *   vsa-rate-control     receiver reports and transport-wide feedback → target bitrate
 *   vsa-session-metrics  the encoder's frames, rates, the capture size
 *   vsa-input-channel    the browser's input data channel, the VM's input and clipboard
 * Their callbacks on other threads only count or post; everything else, and every
 * signal, runs on the context the session was made on. */
#include "vsa-session.h"

#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#include "vsa-input-channel.h"
#include "vsa-liveness.h"
#include "vsa-pipeline.h"
#include "vsa-rate-control.h"
#include "vsa-session-candidates.h"
#include "vsa-session-metrics.h"
#include "vsa-webrtc.h"

/* Browsers send a receiver report about every second (libwebrtc: 1 s for video). */
#define STATS_INTERVAL_S 1

/* Where the offer/answer handshake stands; it only moves forward. */
typedef enum
{
  NEGOTIATION_OFFERED,   /* set-remote-description in flight */
  NEGOTIATION_ANSWERING, /* create-answer, then set-local-description, in flight */
  NEGOTIATION_GATHERED,  /* gathering completed before the answer was set */
  NEGOTIATION_GATHERING, /* the answer is set: "answer-ready" waits for gathering or its window */
  NEGOTIATION_ANSWERED,  /* "answer-ready" emitted: later candidates go out one by one */
  NEGOTIATION_STORED,    /* the browser can have our answer: see vsa_session_handle_ice_state */
  NEGOTIATION_STOPPED,   /* vsa_session_stop(): nothing is emitted any more */
} Negotiation;

struct _VsaSession
{
  GObject parent_instance;

  const VsaConfig *config;
  VsaCodecChoice choice;
  GMainContext *context; /* where signals are emitted */

  GstElement *pipeline;
  GstElement *webrtc;
  VsaSessionCandidates *candidates;
  GPtrArray *gathered; /* local candidates before "answer-ready" */

  guint answer_timeout_id;
  gint64 answer_stored_at; /* monotonic µs */
  guint ice_failed_check_id;
  VsaLiveness *liveness;
  guint stats_id;
  GstPromise *stats_promise; /* the get-stats in flight, interrupted by stop */
  VsaRateControl *rate_control;
  VsaSessionMetrics *metrics;
  VsaEndReason end_reason;
  Negotiation negotiation;
  gboolean display_lost;
  VsaInputChannel *input_channel;
};

G_DEFINE_FINAL_TYPE (VsaSession, vsa_session, G_TYPE_OBJECT)

enum
{
  SIGNAL_ANSWER_READY,
  SIGNAL_LOCAL_CANDIDATE,
  SIGNAL_CONNECTED,
  SIGNAL_ENDED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static void
vsa_session_end (VsaSession *self, VsaEndReason kind, const char *reason)
{
  if (self->negotiation == NEGOTIATION_STOPPED)
    return;
  self->end_reason = kind;
  g_signal_emit (self, signals[SIGNAL_ENDED], 0, reason);
}

static void
vsa_session_on_liveness_end (VsaEndReason kind, const char *reason, gpointer data)
{
  vsa_session_end (data, kind, reason);
}

static void
vsa_session_dispose (GObject *object)
{
  vsa_session_stop (VSA_SESSION (object));
  G_OBJECT_CLASS (vsa_session_parent_class)->dispose (object);
}

static void
vsa_session_finalize (GObject *object)
{
  VsaSession *self = VSA_SESSION (object);

  g_free (self->choice.profile_level_id);
  g_main_context_unref (self->context);
  vsa_session_candidates_free (self->candidates);
  g_ptr_array_unref (self->gathered);
  vsa_session_metrics_free (self->metrics);
  vsa_liveness_free (self->liveness);
  vsa_input_channel_free (self->input_channel);
  vsa_rate_control_free (self->rate_control);
  G_OBJECT_CLASS (vsa_session_parent_class)->finalize (object);
}

static void
vsa_session_class_init (VsaSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = vsa_session_dispose;
  object_class->finalize = vsa_session_finalize;

  signals[SIGNAL_ANSWER_READY]
      = g_signal_new ("answer-ready", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_PTR_ARRAY);
  signals[SIGNAL_LOCAL_CANDIDATE]
      = g_signal_new ("local-candidate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                      NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_CONNECTED] = g_signal_new ("connected", G_TYPE_FROM_CLASS (klass),
                                            G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_ENDED] = g_signal_new ("ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
vsa_session_init (VsaSession *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->gathered = g_ptr_array_new_with_free_func ((GDestroyNotify) vsa_candidate_free);
  self->metrics = vsa_session_metrics_new ();
  self->liveness = vsa_liveness_new (vsa_session_on_liveness_end, self);
}

static void vsa_session_post_input (VsaInputChannelEvent input, GObject *channel, const char *text,
                                    gpointer data);

VsaSession *
vsa_session_new (const VsaConfig *config, const VsaCodecChoice *choice)
{
  VsaSession *self = g_object_new (VSA_TYPE_SESSION, NULL);

  self->config = config;
  self->choice = *choice;
  self->choice.profile_level_id = g_strdup (choice->profile_level_id);
  self->rate_control = vsa_rate_control_new (config, choice);
  self->input_channel = vsa_input_channel_new (config, vsa_session_post_input, self);
  return self;
}

const char *
vsa_end_reason_to_string (VsaEndReason reason)
{
  static const char *const names[] = {
    "ice_failed",     "not_connected", "disconnected", "peer_silent",
    "pipeline_error", "webrtc_error",  "newer_offer",  "answer_refused",
    "offer_unusable", "start_failed",  "client_left",
  };
  G_STATIC_ASSERT (G_N_ELEMENTS (names) == VSA_END_REASON_COUNT);

  g_return_val_if_fail (reason < VSA_END_REASON_COUNT, NULL);
  return names[reason];
}

/* --- events: posted from any thread, dispatched on the main context ------------------- */

typedef enum
{
  EVENT_REMOTE_SET,
  EVENT_CAPS,
  EVENT_ANSWER_SET,
  EVENT_LOCAL_CANDIDATE,
  EVENT_GATHERING_DONE,
  EVENT_ICE_STATE,
  EVENT_CONNECTION_STATE,
  EVENT_FAILED,
  EVENT_STATS,
  EVENT_FEEDBACK,
  EVENT_INPUT,
} EventKind;

typedef struct
{
  VsaSession *self;
  EventKind kind;
  guint mline;
  int state;
  char *text;
  VsaInputChannelEvent input; /* EVENT_INPUT, with text or channel */
  GObject *channel;
  VsaRateControlStats stats; /* EVENT_STATS */
} Event;

static void
vsa_session_event_free (Event *event)
{
  g_object_unref (event->self);
  g_free (event->text);
  g_clear_object (&event->channel);
  g_free (event);
}

static gboolean vsa_session_dispatch_event (gpointer data);
static void vsa_session_on_answer_created (GstPromise *promise, gpointer data);

static Event *
vsa_session_event_new (VsaSession *self, EventKind kind)
{
  Event *event = g_new0 (Event, 1);

  event->self = g_object_ref (self);
  event->kind = kind;
  return event;
}

/* Always through a source, never in place, so nothing runs re-entrantly inside a caller;
 * at default priority so that timers and bus messages cannot starve it. */
static void
vsa_session_attach_event (Event *event)
{
  g_autoptr (GSource) source = g_idle_source_new ();

  g_source_set_callback (source, vsa_session_dispatch_event, event,
                         (GDestroyNotify) vsa_session_event_free);
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_name (source, "vsa-session-event");
  g_source_attach (source, event->self->context);
}

static void
vsa_session_post_event (VsaSession *self, EventKind kind, guint mline, int state, const char *text)
{
  Event *event = vsa_session_event_new (self, kind);

  event->mline = mline;
  event->state = state;
  event->text = g_strdup (text);
  vsa_session_attach_event (event);
}

/* --- main context --------------------------------------------------------------------- */

static void
vsa_session_emit_answer_ready (VsaSession *self)
{
  GstWebRTCSessionDescription *local = NULL;
  g_autofree char *sdp = NULL;

  self->negotiation = NEGOTIATION_ANSWERED;
  g_clear_handle_id (&self->answer_timeout_id, g_source_remove);

  /* webrtcbin writes the candidates gathered so far into its local description */
  g_object_get (self->webrtc, "local-description", &local, NULL);
  sdp = gst_sdp_message_as_text (local->sdp);
  gst_webrtc_session_description_free (local);
  g_signal_emit (self, signals[SIGNAL_ANSWER_READY], 0, sdp, self->gathered);
}

static gboolean
vsa_session_on_answer_window_passed (gpointer data)
{
  VsaSession *self = data;

  self->answer_timeout_id = 0;
  g_debug ("answer window passed with %u local candidates", self->gathered->len);
  vsa_session_emit_answer_ready (self);
  return G_SOURCE_REMOVE;
}

/* On the thread that received it: once per transport-wide feedback packet. */
static GstPadProbeReturn
vsa_session_on_feedback_event (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  VsaSession *self = data;

  if (vsa_rate_control_take_feedback_event (self->rate_control, GST_PAD_PROBE_INFO_EVENT (info)))
    vsa_session_attach_event (vsa_session_event_new (self, EVENT_FEEDBACK));
  return GST_PAD_PROBE_OK;
}

static void vsa_session_on_stats (GstPromise *promise, gpointer data);

/* One get-stats at a time; its reply comes back as EVENT_STATS. */
static gboolean
vsa_session_request_stats (gpointer data)
{
  VsaSession *self = data;
  GstPromise *promise;

  if (self->stats_promise != NULL)
    return G_SOURCE_CONTINUE;
  promise = gst_promise_new_with_change_func (vsa_session_on_stats, g_object_ref (self),
                                              g_object_unref);
  self->stats_promise = gst_promise_ref (promise);
  g_signal_emit_by_name (self->webrtc, "get-stats", NULL, promise);
  gst_promise_unref (promise);
  return G_SOURCE_CONTINUE;
}

/* The rates for metrics come from the same sampling as the rate control's: no second
 * get-stats loop. */
static void
vsa_session_handle_stats (VsaSession *self, const VsaRateControlStats *stats)
{
  guint sent_kbps
      = vsa_session_metrics_sample (self->metrics, stats->bytes_sent, stats->keyframe_requests);

  vsa_rate_control_handle_stats (self->rate_control, self->pipeline, stats, sent_kbps);
}

/* The browser fetches a stored answer with its next poll (once a second, through a
 * controller that may be slow or failing) and only then checks: ICE failing that soon after
 * the answer was stored is given until then. */
#define ICE_ANSWER_GRACE_S 10

static gboolean
vsa_session_check_ice_failed (gpointer data)
{
  VsaSession *self = data;
  GstWebRTCICEConnectionState state;

  self->ice_failed_check_id = 0;
  g_object_get (self->webrtc, "ice-connection-state", &state, NULL);
  if (state == GST_WEBRTC_ICE_CONNECTION_STATE_FAILED)
    vsa_session_end (self, VSA_END_REASON_ICE_FAILED, "ICE failed");
  return G_SOURCE_REMOVE;
}

static void
vsa_session_on_ice_failed (VsaSession *self)
{
  gint64 grace_left_ms
      = ICE_ANSWER_GRACE_S * 1000 - (g_get_monotonic_time () - self->answer_stored_at) / 1000;

  if (grace_left_ms <= 0)
    {
      vsa_session_end (self, VSA_END_REASON_ICE_FAILED, "ICE failed");
      return;
    }
  g_debug ("ICE failed %" G_GINT64_FORMAT
           " ms after the answer was stored: waiting %" G_GINT64_FORMAT
           " ms more for the browser's checks",
           ICE_ANSWER_GRACE_S * 1000 - grace_left_ms, grace_left_ms);
  if (self->ice_failed_check_id == 0)
    self->ice_failed_check_id
        = g_timeout_add ((guint) grace_left_ms, vsa_session_check_ice_failed, self);
}

static void
vsa_session_handle_ice_state (VsaSession *self, GstWebRTCICEConnectionState state)
{
  switch (state)
    {
    case GST_WEBRTC_ICE_CONNECTION_STATE_CONNECTED:
    case GST_WEBRTC_ICE_CONNECTION_STATE_COMPLETED:
      /* the first connection; ICE may connect before the handshake is over (a browser
       * answers early checks), so it is not a step of it */
      if (vsa_liveness_connected (self->liveness, self->webrtc))
        {
          self->stats_id
              = g_timeout_add_seconds (STATS_INTERVAL_S, vsa_session_request_stats, self);
          g_signal_emit (self, signals[SIGNAL_CONNECTED], 0);
        }
      break;
    case GST_WEBRTC_ICE_CONNECTION_STATE_FAILED:
      /* Our checks get no replies until the browser has our answer: a controller slow to
       * take it (retries, Retry-After), or to give it, outlasts them. The browser's own
       * checks, once it has the answer, bring libnice back; the connect timeout bounds the
       * wait, and ICE_ANSWER_GRACE_S after the answer was stored. */
      if (self->negotiation < NEGOTIATION_STORED)
        {
          g_debug ("ICE failed before the answer was stored: waiting for the browser's checks");
          break;
        }
      vsa_session_on_ice_failed (self);
      break;
    case GST_WEBRTC_ICE_CONNECTION_STATE_DISCONNECTED:
      vsa_liveness_disconnected (self->liveness);
      break;
    default:
      break;
    }
}

static void
vsa_session_create_answer (VsaSession *self)
{
  self->negotiation = NEGOTIATION_ANSWERING;
  g_signal_emit_by_name (self->webrtc, "create-answer", NULL,
                         gst_promise_new_with_change_func (vsa_session_on_answer_created,
                                                           g_object_ref (self), g_object_unref));
}

static gboolean
vsa_session_dispatch_event (gpointer data)
{
  Event *event = data;
  VsaSession *self = event->self;

  /* the input channel has its own stop: it still lets go of a channel opened meanwhile */
  if (self->negotiation == NEGOTIATION_STOPPED && event->kind != EVENT_INPUT)
    return G_SOURCE_REMOVE;

  switch (event->kind)
    {
    case EVENT_REMOTE_SET:
      vsa_session_create_answer (self);
      break;
    case EVENT_CAPS:
      vsa_liveness_caps_arrived (self->liveness);
      break;
    case EVENT_ANSWER_SET:
      if (self->negotiation == NEGOTIATION_GATHERED)
        vsa_session_emit_answer_ready (self);
      else
        {
          self->negotiation = NEGOTIATION_GATHERING;
          self->answer_timeout_id = g_timeout_add (self->config->answer_window_ms,
                                                   vsa_session_on_answer_window_passed, self);
        }
      break;
    case EVENT_LOCAL_CANDIDATE:
      {
        g_autoptr (VsaCandidate) candidate
            = vsa_session_candidates_local (self->candidates, event->mline, event->text);

        g_debug ("local candidate %s", candidate->candidate);
        if (self->negotiation >= NEGOTIATION_ANSWERED)
          g_signal_emit (self, signals[SIGNAL_LOCAL_CANDIDATE], 0, candidate);
        else
          g_ptr_array_add (self->gathered, g_steal_pointer (&candidate));
      }
      break;
    case EVENT_GATHERING_DONE:
      /* gathering starts with set-local-description: never before NEGOTIATION_ANSWERING */
      if (self->negotiation == NEGOTIATION_ANSWERING)
        self->negotiation = NEGOTIATION_GATHERED;
      else if (self->negotiation == NEGOTIATION_GATHERING)
        vsa_session_emit_answer_ready (self);
      break;
    case EVENT_ICE_STATE:
      {
        g_autofree char *name
            = g_enum_to_string (GST_TYPE_WEBRTC_ICE_CONNECTION_STATE, event->state);

        g_debug ("ICE connection state %s", name);
        vsa_session_handle_ice_state (self, event->state);
      }
      break;
    case EVENT_CONNECTION_STATE:
      {
        /* ICE and DTLS together: ICE connected with DTLS stuck short of it shows here */
        g_autofree char *name
            = g_enum_to_string (GST_TYPE_WEBRTC_PEER_CONNECTION_STATE, event->state);

        g_debug ("connection state %s", name);
      }
      break;
    case EVENT_FAILED:
      vsa_session_end (self, VSA_END_REASON_WEBRTC_ERROR, event->text);
      break;
    case EVENT_STATS:
      g_clear_pointer (&self->stats_promise, gst_promise_unref);
      vsa_session_handle_stats (self, &event->stats);
      break;
    case EVENT_FEEDBACK:
      vsa_rate_control_handle_feedback (self->rate_control, self->pipeline);
      break;
    case EVENT_INPUT:
      vsa_input_channel_handle (self->input_channel, event->input, event->channel, event->text);
      break;
    }
  return G_SOURCE_REMOVE;
}

/* These run on webrtcbin's threads: they only post events. */

static void
vsa_session_on_ice_candidate (GstElement *webrtc, guint mline, const char *candidate,
                              VsaSession *self)
{
  vsa_session_post_event (self, EVENT_LOCAL_CANDIDATE, mline, 0, candidate);
}

static void
vsa_session_on_ice_gathering_state (GstElement *webrtc, GParamSpec *pspec, VsaSession *self)
{
  GstWebRTCICEGatheringState state;

  g_object_get (webrtc, "ice-gathering-state", &state, NULL);
  if (state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
    vsa_session_post_event (self, EVENT_GATHERING_DONE, 0, 0, NULL);
}

static void
vsa_session_on_ice_connection_state (GstElement *webrtc, GParamSpec *pspec, VsaSession *self)
{
  GstWebRTCICEConnectionState state;

  g_object_get (webrtc, "ice-connection-state", &state, NULL);
  vsa_session_post_event (self, EVENT_ICE_STATE, 0, (int) state, NULL);
}

static void
vsa_session_on_connection_state (GstElement *webrtc, GParamSpec *pspec, VsaSession *self)
{
  GstWebRTCPeerConnectionState state;

  g_object_get (webrtc, "connection-state", &state, NULL);
  vsa_session_post_event (self, EVENT_CONNECTION_STATE, 0, (int) state, NULL);
}

static void
vsa_session_on_data_channel (GstElement *webrtc, GObject *channel, VsaSession *self)
{
  vsa_input_channel_take (self->input_channel, channel);
}

/* The input channel's events, from the SCTP thread or webrtcbin's. */
static void
vsa_session_post_input (VsaInputChannelEvent input, GObject *channel, const char *text,
                        gpointer data)
{
  Event *event = vsa_session_event_new (data, EVENT_INPUT);

  event->input = input;
  event->channel = channel != NULL ? g_object_ref (channel) : NULL;
  event->text = g_strdup (text);
  vsa_session_attach_event (event);
}

static void
vsa_session_on_stats (GstPromise *promise, gpointer data)
{
  VsaSession *self = data;
  Event *event = vsa_session_event_new (self, EVENT_STATS);

  if (gst_promise_wait (promise) == GST_PROMISE_RESULT_REPLIED
      && gst_promise_get_reply (promise) != NULL)
    vsa_rate_control_read_stats (gst_promise_get_reply (promise), &event->stats);
  vsa_session_attach_event (event);
}

/* The reply's error, if the promise carries one. */
static char *
vsa_session_promise_error (GstPromise *promise, const char *what)
{
  const GstStructure *reply;
  g_autoptr (GError) error = NULL;

  if (gst_promise_wait (promise) != GST_PROMISE_RESULT_REPLIED)
    return g_strdup_printf ("%s: no reply from webrtcbin", what);
  reply = gst_promise_get_reply (promise);
  if (reply != NULL && gst_structure_has_field (reply, "error"))
    {
      gst_structure_get (reply, "error", G_TYPE_ERROR, &error, NULL);
      return g_strdup_printf ("%s: %s", what, error != NULL ? error->message : "failed");
    }
  return NULL;
}

static void
vsa_session_on_local_description_set (GstPromise *promise, gpointer data)
{
  VsaSession *self = data;
  g_autofree char *error = vsa_session_promise_error (promise, "set-local-description");

  gst_promise_unref (promise);
  if (error != NULL)
    vsa_session_post_event (self, EVENT_FAILED, 0, 0, error);
  else
    vsa_session_post_event (self, EVENT_ANSWER_SET, 0, 0, NULL);
}

static void
vsa_session_on_answer_created (GstPromise *promise, gpointer data)
{
  VsaSession *self = data;
  GstWebRTCSessionDescription *answer = NULL;
  g_autofree char *error = vsa_session_promise_error (promise, "create-answer");

  if (error == NULL)
    {
      gst_structure_get (gst_promise_get_reply (promise), "answer",
                         GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &answer, NULL);
      if (answer == NULL)
        error = g_strdup ("create-answer: no answer");
      else
        error = vsa_webrtc_check_answer (answer->sdp, self->choice.mline_index);
    }
  gst_promise_unref (promise);

  if (error == NULL)
    g_signal_emit_by_name (self->webrtc, "set-local-description", answer,
                           gst_promise_new_with_change_func (vsa_session_on_local_description_set,
                                                             g_object_ref (self), g_object_unref));
  else
    vsa_session_post_event (self, EVENT_FAILED, 0, 0, error);
  g_clear_pointer (&answer, gst_webrtc_session_description_free);
}

static void
vsa_session_on_remote_description_set (GstPromise *promise, gpointer data)
{
  VsaSession *self = data;
  g_autofree char *error = vsa_session_promise_error (promise, "set-remote-description");

  gst_promise_unref (promise);
  vsa_session_post_event (self, error != NULL ? EVENT_FAILED : EVENT_REMOTE_SET, 0, 0, error);
}

static void
vsa_session_on_sink_caps (GstPad *pad, GParamSpec *pspec, VsaSession *self)
{
  g_signal_handlers_disconnect_by_func (pad, vsa_session_on_sink_caps, self);
  vsa_session_post_event (self, EVENT_CAPS, 0, 0, NULL);
}

/* --- main context --------------------------------------------------------------------- */

/* The capture source keeps going (black frames) while the display is away: say so once
 * each way. */
static void
vsa_session_handle_display_message (VsaSession *self, const GstStructure *structure)
{
  gboolean connected = FALSE;
  int width = 0, height = 0;

  gst_structure_get_boolean (structure, "connected", &connected);
  gst_structure_get_int (structure, "width", &width);
  gst_structure_get_int (structure, "height", &height);
  vsa_input_channel_set_display (self->input_channel, connected,
                                 gst_structure_get_string (structure, "reason"), width, height);
  if (!connected && !self->display_lost)
    g_warning ("session %s: display %s unavailable (%s): sending black, retrying every 2 s",
               self->config->session_id, gst_structure_get_string (structure, "display"),
               gst_structure_get_string (structure, "reason"));
  else if (connected && self->display_lost)
    g_message ("session %s: display %s is back (%dx%d)", self->config->session_id,
               gst_structure_get_string (structure, "display"), width, height);
  self->display_lost = !connected;
}

static gboolean
vsa_session_on_bus_message (GstBus *bus, GstMessage *message, gpointer data)
{
  VsaSession *self = data;
  g_autoptr (GError) error = NULL;
  g_autofree char *debug = NULL;
  g_autofree char *reason = NULL;

  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ELEMENT
      && gst_message_has_name (message, "vsa-x11-src"))
    vsa_session_handle_display_message (self, gst_message_get_structure (message));
  if (GST_MESSAGE_TYPE (message) != GST_MESSAGE_ERROR)
    return G_SOURCE_CONTINUE;
  gst_message_parse_error (message, &error, &debug);
  g_debug ("pipeline error details: %s", debug != NULL ? debug : "none");
  reason = g_strdup_printf ("pipeline error from %s: %s", GST_OBJECT_NAME (message->src),
                            error->message);
  vsa_session_end (self, VSA_END_REASON_PIPELINE_ERROR, reason);
  return G_SOURCE_CONTINUE;
}

static gboolean
vsa_session_build_pipeline (VsaSession *self, GPtrArray *ice_servers, GError **error)
{
  g_autoptr (GstElement) video = vsa_pipeline_new_video_bin (self->config, &self->choice, error);
  g_autoptr (GstPad) video_src = NULL;
  g_autoptr (GstPad) sink = NULL;
  g_autoptr (GstBus) bus = NULL;

  if (video == NULL)
    return FALSE;
  self->pipeline = gst_pipeline_new ("session");
  self->webrtc = vsa_webrtc_new (ice_servers, error);
  if (self->webrtc == NULL)
    return FALSE;
  video_src = gst_element_get_static_pad (video, "src");
  gst_pad_add_probe (video_src, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, vsa_session_on_feedback_event,
                     self, NULL);
  gst_bin_add_many (GST_BIN (self->pipeline), g_steal_pointer (&video), self->webrtc, NULL);
  vsa_session_metrics_watch_encoder (self->metrics, self->pipeline);
  sink = vsa_webrtc_add_video (self->webrtc, video_src, &self->choice, error);
  if (sink == NULL)
    return FALSE;
  g_signal_connect (sink, "notify::caps", G_CALLBACK (vsa_session_on_sink_caps), self);

  g_signal_connect (self->webrtc, "on-ice-candidate", G_CALLBACK (vsa_session_on_ice_candidate),
                    self);
  g_signal_connect (self->webrtc, "notify::ice-gathering-state",
                    G_CALLBACK (vsa_session_on_ice_gathering_state), self);
  g_signal_connect (self->webrtc, "notify::ice-connection-state",
                    G_CALLBACK (vsa_session_on_ice_connection_state), self);
  g_signal_connect (self->webrtc, "notify::connection-state",
                    G_CALLBACK (vsa_session_on_connection_state), self);
  g_signal_connect (self->webrtc, "on-data-channel", G_CALLBACK (vsa_session_on_data_channel),
                    self);

  bus = gst_pipeline_get_bus (GST_PIPELINE (self->pipeline));
  gst_bus_add_watch (bus, vsa_session_on_bus_message, self);
  return TRUE;
}

gboolean
vsa_session_start (VsaSession *self, GstSDPMessage *sdp, GPtrArray *offer_candidates,
                   GPtrArray *ice_servers, GError **error)
{
  GstSDPMessage *copy = NULL;
  GstWebRTCSessionDescription *offer;

  self->candidates = vsa_session_candidates_new (sdp);
  if (!vsa_session_build_pipeline (self, ice_servers, error))
    return FALSE;
  vsa_rate_control_start (self->rate_control, self->pipeline);
  if (gst_element_set_state (self->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    {
      g_set_error_literal (error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
                           "the capture pipeline does not start (is the display reachable?)");
      return FALSE;
    }

  /* webrtcbin runs these in order on its own thread: candidates are applied after the
   * remote description. The answer is created once that is done. */
  gst_sdp_message_copy (sdp, &copy);
  offer = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_OFFER, copy);
  g_signal_emit_by_name (self->webrtc, "set-remote-description", offer,
                         gst_promise_new_with_change_func (vsa_session_on_remote_description_set,
                                                           g_object_ref (self), g_object_unref));
  gst_webrtc_session_description_free (offer);

  for (guint i = 0; offer_candidates != NULL && i < offer_candidates->len; i++)
    vsa_session_add_remote_candidate (self, g_ptr_array_index (offer_candidates, i));

  vsa_liveness_start (self->liveness);
  return TRUE;
}

void
vsa_session_add_remote_candidate (VsaSession *self, const VsaCandidate *candidate)
{
  guint mline;

  if (self->negotiation == NEGOTIATION_STOPPED || self->webrtc == NULL
      || !vsa_session_candidates_take_remote (self->candidates, candidate, &mline))
    return;
  g_signal_emit_by_name (self->webrtc, "add-ice-candidate", mline, candidate->candidate);
}

void
vsa_session_end_remote_candidates (VsaSession *self)
{
  g_autoptr (GArray) mlines = NULL;

  if (self->negotiation == NEGOTIATION_STOPPED || self->webrtc == NULL)
    return;
  /* webrtcbin takes an empty candidate as the end of them (libnice's
   * peer_candidate_gathering_done): only then may ICE fail once its checks have */
  mlines = vsa_session_candidates_transport_mlines (self->candidates);
  for (guint i = 0; i < mlines->len; i++)
    g_signal_emit_by_name (self->webrtc, "add-ice-candidate", g_array_index (mlines, guint, i), "");
}

const char *
vsa_session_get_resolution (VsaSession *self)
{
  return vsa_session_metrics_get_resolution (self->metrics, self->pipeline);
}

guint
vsa_session_get_bitrate_kbps (VsaSession *self)
{
  return vsa_rate_control_get_kbps (self->rate_control);
}

void
vsa_session_get_stats (VsaSession *self, VsaSessionStats *out)
{
  *out = (VsaSessionStats){
    .target_kbps = vsa_rate_control_get_kbps (self->rate_control),
    .rtt_s = vsa_rate_control_get_rtt (self->rate_control),
    .loss = vsa_rate_control_get_loss (self->rate_control),
  };
  vsa_session_metrics_get (self->metrics, out);
}

VsaEndReason
vsa_session_get_end_reason (VsaSession *self)
{
  return self->end_reason;
}

void
vsa_session_set_answer_stored (VsaSession *self)
{
  if (self->negotiation != NEGOTIATION_ANSWERED)
    return;
  self->negotiation = NEGOTIATION_STORED;
  self->answer_stored_at = g_get_monotonic_time ();
}

gboolean
vsa_session_get_answer_stored (VsaSession *self)
{
  return self->negotiation == NEGOTIATION_STORED;
}

gboolean
vsa_session_get_loss_by_feedback (VsaSession *self)
{
  return vsa_rate_control_uses_feedback (self->rate_control);
}

gboolean
vsa_session_say_ended (VsaSession *self, VsaEndReason kind, const char *reason)
{
  /* the page cannot hear these: its transport is gone */
  if (kind == VSA_END_REASON_ICE_FAILED || kind == VSA_END_REASON_NOT_CONNECTED
      || kind == VSA_END_REASON_DISCONNECTED || kind == VSA_END_REASON_PEER_SILENT)
    return FALSE;
  return vsa_input_channel_say_ended (self->input_channel, vsa_end_reason_to_string (kind), reason);
}

guint64
vsa_session_get_goodbye_buffered (VsaSession *self)
{
  return vsa_input_channel_get_buffered (self->input_channel);
}

void
vsa_session_stop (VsaSession *self)
{
  if (self->negotiation == NEGOTIATION_STOPPED)
    return;
  self->negotiation = NEGOTIATION_STOPPED;
  g_clear_handle_id (&self->answer_timeout_id, g_source_remove);
  g_clear_handle_id (&self->ice_failed_check_id, g_source_remove);
  vsa_liveness_stop (self->liveness);
  g_clear_handle_id (&self->stats_id, g_source_remove);
  if (self->stats_promise != NULL)
    gst_promise_interrupt (self->stats_promise);
  g_clear_pointer (&self->stats_promise, gst_promise_unref);
  vsa_input_channel_stop (self->input_channel);
  if (self->pipeline != NULL)
    {
      g_autoptr (GstBus) bus = gst_pipeline_get_bus (GST_PIPELINE (self->pipeline));

      gst_bus_remove_watch (bus);
      g_signal_handlers_disconnect_by_data (self->webrtc, self);
      gst_element_set_state (self->pipeline, GST_STATE_NULL);
      g_clear_object (&self->pipeline);
      self->webrtc = NULL;
    }
}
