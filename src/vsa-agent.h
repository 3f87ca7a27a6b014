/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "vsa-config.h"
#include "vsa-session-host.h"

G_BEGIN_DECLS

/* The controller's side of a session: polls the controller for the browser's offer,
 * fetches ICE servers, hands each new offer to its session host, posts the answer (once
 * more checking the offer is still current) and trickles candidates both ways. Signal
 * "status-changed" (the new vsa_agent_get_status()) whenever that one-line summary
 * changes. */
#define VSA_TYPE_AGENT (vsa_agent_get_type ())
G_DECLARE_FINAL_TYPE (VsaAgent, vsa_agent, VSA, AGENT, GObject)

/* Fails only on configuration the controller cannot use (ca-file). */
VsaAgent *vsa_agent_new (const VsaConfig *config, GError **error);
void vsa_agent_start (VsaAgent *self);
/* Cancels every request and tears the session down. */
void vsa_agent_stop (VsaAgent *self);
/* The session host: state, the current session, counters. */
VsaSessionHost *vsa_agent_get_host (VsaAgent *self);
/* What the agent is doing, in one line for people (systemd's STATUS=): the host's status
 * (vsa_session_host_get_status()), or "controller unreachable at URL: …". */
const char *vsa_agent_get_status (VsaAgent *self);

/* What a fresh image of the process keeps (a{sv}, floating): which offer was answered
 * last, so that the new image does not answer it again; before vsa_agent_start(). The
 * host's counters go separately (vsa_session_host_hand_over()). */
GVariant *vsa_agent_hand_over (VsaAgent *self);
void vsa_agent_take_over (VsaAgent *self, GVariant *handover);

G_END_DECLS
