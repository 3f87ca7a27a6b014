#pragma once

#include <gio/gio.h>

#include "vsa-config.h"

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

/* The current session's target video bitrate in kbit/s, 0 without a session. */
guint vsa_agent_get_bitrate_kbps (VsaAgent *self);
/* TRUE while the current session judges loss from transport-wide feedback. */
gboolean vsa_agent_get_loss_by_feedback (VsaAgent *self);

G_END_DECLS
