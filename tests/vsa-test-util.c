#include "vsa-test-util.h"

static gboolean
tick_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

gboolean
vsa_test_wait_until (VsaTestDoneFunc done, gpointer user_data, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!done (user_data))
    {
      g_autoptr (GSource) tick = NULL;

      if (g_get_monotonic_time () >= deadline)
        return FALSE;
      /* A tick so that a blocking iteration wakes up to check the clock and done(). */
      tick = g_timeout_source_new (50);
      g_source_set_callback (tick, tick_cb, NULL, NULL);
      g_source_attach (tick, g_main_context_get_thread_default ());
      g_main_context_iteration (g_main_context_get_thread_default (), TRUE);
      g_source_destroy (tick);
    }
  return TRUE;
}
