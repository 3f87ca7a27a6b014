/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <gst/sdp/sdp.h>

#include "vsa-codec.h"
#include "vsa-config.h"
#include "vsa-signaling.h"

G_BEGIN_DECLS

/* Why a session ended, for counting (the "ended" signal's text says it for people). The
 * session ends with the first six; its host (vsa-session-host.h) for the rest. */
typedef enum
{
  VSA_END_REASON_ICE_FAILED,
  VSA_END_REASON_NOT_CONNECTED,  /* no ICE connection within 30 s */
  VSA_END_REASON_DISCONNECTED,   /* ICE disconnected for 10 s */
  VSA_END_REASON_PEER_SILENT,    /* nothing from the browser for 10 s */
  VSA_END_REASON_PIPELINE_ERROR, /* an element failed, or no video came out */
  VSA_END_REASON_WEBRTC_ERROR,   /* webrtcbin refused the offer or made no usable answer */
  VSA_END_REASON_NEWER_OFFER,
  VSA_END_REASON_ANSWER_REFUSED, /* the controller did not take the answer */
  VSA_END_REASON_OFFER_UNUSABLE, /* an SDP that does not parse, no codec we can send */
  VSA_END_REASON_START_FAILED,   /* the pipeline did not start */
  VSA_END_REASON_CLIENT_LEFT,    /* the WHEP client deleted the session or left unanswered */
  VSA_END_REASON_COUNT,
} VsaEndReason;

/* "ice_failed", "peer_silent", …: a metric label. */
const char *vsa_end_reason_to_string (VsaEndReason reason);

/* One offer answered by one webrtcbin. Signals are emitted on the main context:
 *   "answer-ready" (const char *sdp, GPtrArray *candidates): once, when ICE gathering
 *     completed or the answer window passed; candidates holds those gathered so far.
 *   "local-candidate" (VsaCandidate *): each candidate gathered after "answer-ready".
 *   "connected": ICE connected (first time).
 *   "ended" (const char *reason): the session failed or the peer is gone. */
#define VSA_TYPE_SESSION (vsa_session_get_type ())
G_DECLARE_FINAL_TYPE (VsaSession, vsa_session, VSA, SESSION, GObject)

VsaSession *vsa_session_new (const VsaConfig *config, const VsaCodecChoice *choice);

/* Builds the pipeline and starts negotiating @offer (parsed as @sdp). */
gboolean vsa_session_start (VsaSession *self, GstSDPMessage *sdp, GPtrArray *offer_candidates,
                            GPtrArray *ice_servers, GError **error);

/* Remote candidates may come at any time; they are buffered until the remote
 * description is set. Duplicates are ignored. */
void vsa_session_add_remote_candidate (VsaSession *self, const VsaCandidate *candidate);
/* The browser has no more candidates (trickle ICE's end-of-candidates): ICE may now fail
 * when every check has, rather than wait for the connect timeout. */
void vsa_session_end_remote_candidates (VsaSession *self);

/* "1280x720" once the capture size is known, else NULL. */
const char *vsa_session_get_resolution (VsaSession *self);

/* The encoder's current target bitrate: the configured bitrate until the browser's
 * receiver reports or transport-wide feedback say to go lower (and later back up). */
guint vsa_session_get_bitrate_kbps (VsaSession *self);
/* TRUE while loss is judged from the browser's transport-wide feedback (negotiated and
 * arriving) rather than from its receiver reports. */
gboolean vsa_session_get_loss_by_feedback (VsaSession *self);
/* The controller took the answer ("answer-ready" was emitted): from now on an ICE failure
 * ends the session (before, the browser could not have answered our checks). */
void vsa_session_set_answer_stored (VsaSession *self);
/* TRUE once vsa_session_set_answer_stored() took effect. */
gboolean vsa_session_get_answer_stored (VsaSession *self);

/* What the session measured, for metrics. Rates cover the last stats interval (a second)
 * and are 0 until the first one after the connection; counts are the session's own. */
typedef struct
{
  guint target_kbps;         /* vsa_session_get_bitrate_kbps() */
  guint sent_kbps;           /* RTP bytes sent (webrtcbin's outbound-rtp), as a rate */
  double fps;                /* frames out of the encoder */
  guint64 frames;            /* frames out of the encoder */
  guint64 keyframes;         /* of those, keyframes */
  guint64 keyframe_requests; /* the browser's PLIs and FIRs (webrtcbin's outbound-rtp) */
  double rtt_s;              /* the last receiver report's round trip; < 0 unknown */
  double loss;               /* the loss the bitrate rule works from, 0–1 */
  const char *encoder;       /* the encoder element's factory ("x264enc"), or NULL */
} VsaSessionStats;

void vsa_session_get_stats (VsaSession *self, VsaSessionStats *out);
/* Why the session ended; meaningful once "ended" was emitted. */
VsaEndReason vsa_session_get_end_reason (VsaSession *self);

/* Tells the page, on its input channel, that the session ends and why. TRUE when a
 * channel took it: stop the session once get_goodbye_buffered() is 0, or the message
 * goes with the pipeline. */
gboolean vsa_session_say_ended (VsaSession *self, VsaEndReason kind, const char *reason);
guint64 vsa_session_get_goodbye_buffered (VsaSession *self);

/* Tears the pipeline down; no signal is emitted afterwards. */
void vsa_session_stop (VsaSession *self);

G_END_DECLS
