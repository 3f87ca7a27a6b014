/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Chromium's DevTools protocol (CDP) over a websocket to a page of a Chromium started with
 * --remote-debugging-port=0: for what xdotool cannot do (touch) or see (the page's state).
 * Everything runs on the thread-default main context; each wait is bounded. */
typedef struct _VsaTestCdp VsaTestCdp;

/* Connects to the first page of the Chromium whose --user-data-dir is profile_dir (its
 * DevToolsActivePort there), waiting at most timeout_ms for it to be up. */
VsaTestCdp *vsa_test_cdp_connect (const char *profile_dir, guint timeout_ms, GError **error);
void vsa_test_cdp_free (VsaTestCdp *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsaTestCdp, vsa_test_cdp_free)

/* Calls method with params (a JSON object's text, or NULL) and waits at most timeout_ms for
 * its reply: its "result", or NULL and error (CDP's error, a timeout, a closed socket). */
JsonNode *vsa_test_cdp_call (VsaTestCdp *self, const char *method, const char *params,
                             guint timeout_ms, GError **error);

/* Evaluates a JavaScript expression in the page (promises awaited): its value as JSON, or
 * NULL and error (also for an exception thrown). */
JsonNode *vsa_test_cdp_evaluate (VsaTestCdp *self, const char *expression, guint timeout_ms,
                                 GError **error);

G_END_DECLS
