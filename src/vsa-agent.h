/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "vsa-config.h"
#include "vsa-session.h"

G_BEGIN_DECLS

typedef enum
{
  VSA_AGENT_STATE_WAITING,
  VSA_AGENT_STATE_NEGOTIATING,
  VSA_AGENT_STATE_STREAMING,
  VSA_AGENT_STATE_ENDED,
} VsaAgentState;

const char *vsa_agent_state_to_string (VsaAgentState state);

/* The state machine: waiting → negotiating → streaming → ended → waiting.
 * Signal "state-changed" (VsaAgentState) on every change, and "status-changed" (the new
 * vsa_agent_get_status()) whenever that one-line summary changes. */
#define VSA_TYPE_AGENT (vsa_agent_get_type ())
G_DECLARE_FINAL_TYPE (VsaAgent, vsa_agent, VSA, AGENT, GObject)

/* Fails only on configuration the controller cannot use (ca-file). */
VsaAgent *vsa_agent_new (const VsaConfig *config, GError **error);
void vsa_agent_start (VsaAgent *self);
/* Cancels every request and tears the session down. */
void vsa_agent_stop (VsaAgent *self);
VsaAgentState vsa_agent_get_state (VsaAgent *self);
/* What the agent is doing, in one line for people (systemd's STATUS=): "waiting for an
 * offer", "negotiating: answering with VP8, payload type 120", "streaming 1280x720 H264
 * 30 fps", "controller unreachable: …". */
const char *vsa_agent_get_status (VsaAgent *self);
/* Sessions answered since start. */
guint vsa_agent_get_answered_count (VsaAgent *self);

/* Identifies the offer being answered or streamed in logs (a short hash of its SDP's o=
 * line, which the browser makes anew for each peer connection); NULL while waiting. */
const char *vsa_agent_get_offer_id (VsaAgent *self);
/* The codec the current session sends ("H264", "VP8", "VP9") once chosen; NULL while
 * waiting. */
const char *vsa_agent_get_codec (VsaAgent *self);

/* Upper bounds of the offer → answer histogram's buckets, in seconds. */
#define VSA_AGENT_ANSWER_BUCKETS 7
extern const double vsa_agent_answer_buckets_s[VSA_AGENT_ANSWER_BUCKETS];

/* What the agent counted since it started, and its current session's measures. */
typedef struct
{
  VsaAgentState state;
  guint64 sessions_started;  /* offers taken up (negotiation began) */
  guint64 sessions_answered; /* answers the controller stored */
  guint64 sessions_streamed; /* sessions that connected */
  guint64 sessions_ended[VSA_END_REASON_COUNT];
  guint64 sessions_failed[VSA_END_REASON_COUNT];        /* of those, ended with no answer stored */
  double last_offer_to_answer_s;                        /* < 0: no answer yet */
  guint64 offer_to_answer_le[VSA_AGENT_ANSWER_BUCKETS]; /* cumulative, as Prometheus */
  guint64 offer_to_answer_count;
  double offer_to_answer_sum_s;
  guint64 frames_sent; /* all sessions' encoded frames */
  guint64 keyframes_sent;
  guint64 keyframe_requests;
  /* the current session's, while there is one (codec NULL otherwise) */
  const char *codec;
  VsaSessionStats session;
} VsaAgentStats;

void vsa_agent_get_stats (VsaAgent *self, VsaAgentStats *out);

/* The current session's target video bitrate in kbit/s, 0 without a session. */
guint vsa_agent_get_bitrate_kbps (VsaAgent *self);
/* TRUE while the current session judges loss from transport-wide feedback. */
gboolean vsa_agent_get_loss_by_feedback (VsaAgent *self);

G_END_DECLS
