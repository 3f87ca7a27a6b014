#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef gboolean (*VsaTestDoneFunc) (gpointer user_data);

/* Iterates the thread-default main context until done() or timeout_ms; FALSE on timeout.
 * done() is checked at least every 50 ms, so it may watch state other threads change. */
gboolean vsa_test_wait_until (VsaTestDoneFunc done, gpointer user_data, guint timeout_ms);

G_END_DECLS
