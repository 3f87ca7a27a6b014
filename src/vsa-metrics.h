/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "vsa-session-host.h"

G_BEGIN_DECLS

/* An HTTP endpoint for monitoring, on the main context: GET /metrics is the session
 * host's counters and its session's measures in Prometheus's text format (names prefixed
 * vm_stream_agent_), GET /healthz is 200 "ok" (served by the main loop: when it answers,
 * the loop runs). */
typedef struct _VsaMetrics VsaMetrics;

VsaMetrics *vsa_metrics_new (VsaSessionHost *host);
void vsa_metrics_free (VsaMetrics *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsaMetrics, vsa_metrics_free)

/* Listens on address (an IP literal) and port (0: a free one) on the thread-default
 * main context. */
gboolean vsa_metrics_listen (VsaMetrics *self, const char *address, guint port, GError **error);
/* The port listened on, 0 before vsa_metrics_listen(). */
guint vsa_metrics_get_port (VsaMetrics *self);

/* The text exposition format (version 0.0.4) of stats: every metric with # HELP and
 * # TYPE, label values escaped. */
char *vsa_metrics_format (const VsaSessionHostStats *stats, const char *version);

G_END_DECLS
