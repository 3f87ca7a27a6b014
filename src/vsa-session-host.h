/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "vsa-config.h"
#include "vsa-session.h"

G_BEGIN_DECLS

/* Where the hosted session is: waiting → negotiating → streaming → ended → waiting. */
typedef enum
{
  VSA_SESSION_HOST_WAITING,
  VSA_SESSION_HOST_NEGOTIATING,
  VSA_SESSION_HOST_STREAMING,
  VSA_SESSION_HOST_ENDED,
} VsaSessionHostState;

const char *vsa_session_host_state_to_string (VsaSessionHostState state);

/* Upper bounds of the offer → answer histogram's buckets, in seconds. */
#define VSA_SESSION_HOST_ANSWER_BUCKETS 7
extern const double vsa_session_host_answer_buckets_s[VSA_SESSION_HOST_ANSWER_BUCKETS];

/* What the host counted since it was made, and its current session's measures. */
typedef struct
{
  VsaSessionHostState state;
  guint64 sessions_started;  /* offers taken up (negotiation began) */
  guint64 sessions_answered; /* answers the browser can have (stored, or sent over WHEP) */
  guint64 sessions_streamed; /* sessions that connected */
  guint64 sessions_ended[VSA_END_REASON_COUNT];
  guint64 sessions_failed[VSA_END_REASON_COUNT]; /* of those, ended with no answer stored */
  double last_offer_to_answer_s;                 /* < 0: no answer yet */
  guint64 offer_to_answer_le[VSA_SESSION_HOST_ANSWER_BUCKETS]; /* cumulative, as Prometheus */
  guint64 offer_to_answer_count;
  double offer_to_answer_sum_s;
  guint64 frames_sent; /* all sessions' encoded frames */
  guint64 keyframes_sent;
  guint64 keyframe_requests;
  /* the current session's, while there is one (codec NULL otherwise) */
  const char *codec;
  VsaSessionStats session;
} VsaSessionHostStats;

/* One session at a time for a transport (the controller's agent, WHEP): it takes an offer
 * up, starts the session on the chosen codec, tells when the answer is ready, ends the
 * session with a counted reason, trims the memory it leaves, and keeps the state, the
 * one-line status and the counters that metrics, the journal and systemd show. Signals,
 * on the main context:
 *   "state-changed" (VsaSessionHostState): before the state's log line.
 *   "status-changed" (const char *): vsa_session_host_get_status() changed.
 *   "answer-ready" (const char *sdp, GPtrArray *candidates): the transport hands the
 *     answer to the browser, then calls vsa_session_host_answer_stored().
 *   "local-candidate" (VsaCandidate *): gathered after "answer-ready".
 *   "session-released": an ended session is gone, its goodbye sent; the host may be
 *     waiting or on a newer offer by then. */
#define VSA_TYPE_SESSION_HOST (vsa_session_host_get_type ())
G_DECLARE_FINAL_TYPE (VsaSessionHost, vsa_session_host, VSA, SESSION_HOST, GObject)

/* @name starts the host's log lines: "session <name>: …". */
VsaSessionHost *vsa_session_host_new (const VsaConfig *config, const char *name);

/* A new offer is taken up: the current session, if any, ends as replaced; negotiating. */
void vsa_session_host_begin (VsaSessionHost *self, const char *offer_sdp);
/* Starts a session on @sdp (the offer given to vsa_session_host_begin(), parsed) with
 * @choice (taken). On failure the session has ended (start_failed) and @error says why. */
gboolean vsa_session_host_start (VsaSessionHost *self, GstSDPMessage *sdp, VsaCodecChoice *choice,
                                 GPtrArray *offer_candidates, GPtrArray *ice_servers,
                                 GError **error);
/* The browser can have the answer: from now on an ICE failure ends the session. */
void vsa_session_host_answer_stored (VsaSessionHost *self);
void vsa_session_host_add_remote_candidate (VsaSessionHost *self, const VsaCandidate *candidate);
void vsa_session_host_end_remote_candidates (VsaSessionHost *self);
/* Ends the current session or negotiation, counted under @kind; it failed when the
 * browser never had its answer (a newer offer is not a failure). Nothing while waiting. */
void vsa_session_host_end (VsaSessionHost *self, VsaEndReason kind, const char *reason);
/* Tears the session down without counting or signals: the process is stopping. */
void vsa_session_host_stop (VsaSessionHost *self);

VsaSessionHostState vsa_session_host_get_state (VsaSessionHost *self);
/* "waiting for an offer", "negotiating: answering with VP8, payload type 120",
 * "streaming 1280x720 H264 30 fps", "session ended: …". */
const char *vsa_session_host_get_status (VsaSessionHost *self);
/* A short hash of the offer's o= line (vsa_offer_dup_id()); NULL while waiting. */
const char *vsa_session_host_get_offer_id (VsaSessionHost *self);
/* The current session's codec ("H264", "VP8", "VP9") once chosen; NULL otherwise. */
const char *vsa_session_host_get_codec (VsaSessionHost *self);
/* Why the last session ended, and its kind; NULL before any ended. */
const char *vsa_session_host_get_last_end (VsaSessionHost *self, VsaEndReason *out_kind);
/* The current session, NULL while there is none. */
VsaSession *vsa_session_host_get_session (VsaSessionHost *self);
void vsa_session_host_get_stats (VsaSessionHost *self, VsaSessionHostStats *out);

/* What a fresh image of the process (vsa_process_exec_fresh()) keeps, while waiting: the
 * counters and the last session's end (a{sv}, floating); and the new host takes it over. */
GVariant *vsa_session_host_hand_over (VsaSessionHost *self);
void vsa_session_host_take_over (VsaSessionHost *self, GVariant *handover);

G_END_DECLS
