/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib-unix.h>
#include <signal.h>
#include <gst/gst.h>
#include <stdio.h>

#include "vsa-agent.h"
#include "vsa-codec.h"
#include "vsa-config.h"
#include "vsa-encoder.h"
#include "vsa-http.h"
#include "vsa-journal.h"
#include "vsa-metrics.h"
#include "vsa-notify.h"
#include "vsa-pipeline.h"
#include "vsa-process.h"
#include "vsa-whep.h"

static gboolean verbose;
static gboolean journal; /* stderr goes to systemd's journal */

/* The agent's own log domains: "vsa", and "vsa-<module>" for a module with its own. */
static gboolean
is_own_domain (const char *domain)
{
  return g_strcmp0 (domain, G_LOG_DOMAIN) == 0
         || (domain != NULL && g_str_has_prefix (domain, G_LOG_DOMAIN "-"));
}

/* One plain line per message on stderr, or under systemd one journal entry with the
 * session's fields (vsa-journal.h); the agent's own debug lines only with --verbose
 * (libraries' debug output is for G_MESSAGES_DEBUG). */
static GLogWriterOutput
write_log (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  const char *message = NULL;
  const char *domain = NULL;
  const char *prefix = "";

  for (gsize i = 0; i < n_fields; i++)
    if (g_strcmp0 (fields[i].key, "MESSAGE") == 0)
      message = fields[i].value;
    else if (g_strcmp0 (fields[i].key, "GLIB_DOMAIN") == 0)
      domain = fields[i].value;
  if ((level & G_LOG_LEVEL_DEBUG) && !(verbose && is_own_domain (domain)))
    return g_log_writer_default (level, fields, n_fields, user_data);
  if (journal && vsa_journal_write (level, fields, n_fields) == G_LOG_WRITER_HANDLED)
    return G_LOG_WRITER_HANDLED;
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    prefix = "error: ";
  else if (level & G_LOG_LEVEL_WARNING)
    prefix = "warning: ";
  fprintf (stderr, "vm-stream-agent: %s%s\n", prefix, message != NULL ? message : "");
  return G_LOG_WRITER_HANDLED;
}

typedef struct
{
  GMainLoop *loop;
  VsaNotify *notify;
} Quit;

static gboolean
on_quit_signal (gpointer data)
{
  Quit *quit = data;

  vsa_notify_stopping (quit->notify);
  g_main_loop_quit (quit->loop);
  return G_SOURCE_CONTINUE;
}

/* Exit status 2: the unit does not restart on it, and `systemctl status` shows why. */
static int
config_error (VsaNotify *notify, const char *message)
{
  g_autofree char *status = g_strdup_printf ("configuration error: %s", message);

  fprintf (stderr, "vm-stream-agent: %s\n", message);
  vsa_notify_status (notify, status);
  return 2;
}

/* The journal fields of the lines that follow: the state is news before its line. */
static void
update_log_context (VsaSessionHost *host, const VsaConfig *config)
{
  VsaJournalContext context = {
    .session_id = config->session_id,
    .state = vsa_session_host_state_to_string (vsa_session_host_get_state (host)),
    .codec = vsa_session_host_get_codec (host),
    .offer_id = vsa_session_host_get_offer_id (host),
  };

  vsa_journal_set_context (&context);
}

static void
on_state_changed (VsaSessionHost *host, int state, const VsaConfig *config)
{
  update_log_context (host, config);
}

static void
on_status_changed_log (VsaSessionHost *host, const char *status, const VsaConfig *config)
{
  update_log_context (host, config);
}

/* systemd's STATUS=, from the agent or the session host */
static void
on_status_changed (GObject *source, const char *status, VsaNotify *notify)
{
  vsa_notify_status (notify, status);
}

/* The journal's fields follow the host; the codec is known after the state changed, and
 * shows in the status. */
static void
follow_host (VsaSessionHost *host, const VsaConfig *config)
{
  g_signal_connect (host, "state-changed", G_CALLBACK (on_state_changed), (gpointer) config);
  g_signal_connect (host, "status-changed", G_CALLBACK (on_status_changed_log), (gpointer) config);
  update_log_context (host, config);
}

/* --- fresh-process: a new process image after each session ------------------------------ */

typedef struct
{
  char **argv; /* as the process was started */
  char **environment;
  VsaSessionHost *host;
  VsaAgent *agent; /* NULL in standalone mode */
  guint idle_id;
} FreshStart;

/* The session is gone and nothing new began: the same program again, with what must
 * outlive this image. Not when the configuration no longer loads (edited since): the new
 * image would stop with it, so this one goes on as it is. */
static gboolean
start_afresh (gpointer data)
{
  FreshStart *fresh = data;
  g_autoptr (VsaConfig) check = vsa_config_new ();
  g_autoptr (GError) error = NULL;
  GVariantDict handover;
  g_autoptr (GVariant) sealed = NULL;

  fresh->idle_id = 0;
  if (vsa_session_host_get_state (fresh->host) != VSA_SESSION_HOST_WAITING)
    return G_SOURCE_REMOVE;
  if (!vsa_config_load (check, fresh->argv, fresh->environment, &error))
    {
      g_warning ("not starting afresh after the session, the configuration no longer loads: %s",
                 error->message);
      return G_SOURCE_REMOVE;
    }
  g_variant_dict_init (&handover, NULL);
  g_variant_dict_insert_value (&handover, "host", vsa_session_host_hand_over (fresh->host));
  if (fresh->agent != NULL)
    g_variant_dict_insert_value (&handover, "agent", vsa_agent_hand_over (fresh->agent));
  g_variant_dict_insert_value (&handover, "listeners", vsa_http_hand_over ());
  sealed = g_variant_ref_sink (g_variant_dict_end (&handover));
  g_message ("starting afresh after the session, to give its memory back");
  if (!vsa_process_exec_fresh (fresh->argv, sealed, &error))
    g_warning ("%s; going on in this process", error->message);
  return G_SOURCE_REMOVE;
}

static void
on_session_released (VsaSessionHost *host, FreshStart *fresh)
{
  /* after whatever the main loop has pending: a newer offer polled meanwhile comes first */
  if (fresh->idle_id == 0)
    fresh->idle_id = g_idle_add_full (G_PRIORITY_LOW, start_afresh, fresh, NULL);
}

/* What the image before this one handed over: its counters, the offer it answered. */
static void
take_over (GVariant *handover, VsaSessionHost *host, VsaAgent *agent)
{
  g_autoptr (GVariant) host_state = NULL;
  g_autoptr (GVariant) agent_state = NULL;

  if (handover == NULL)
    return;
  host_state = g_variant_lookup_value (handover, "host", G_VARIANT_TYPE_VARDICT);
  if (host_state != NULL)
    vsa_session_host_take_over (host, host_state);
  agent_state = g_variant_lookup_value (handover, "agent", G_VARIANT_TYPE_VARDICT);
  if (agent_state != NULL && agent != NULL)
    vsa_agent_take_over (agent, agent_state);
  g_message ("started afresh after a session");
}

static void
follow_sessions (FreshStart *fresh, const VsaConfig *config)
{
  if (config->fresh_process)
    g_signal_connect (fresh->host, "session-released", G_CALLBACK (on_session_released), fresh);
}

/* metrics-listen: /metrics from the host's counters, /healthz. */
static gboolean
serve_metrics (const VsaConfig *config, VsaSessionHost *host, VsaMetrics **out, VsaNotify *notify,
               int *status)
{
  g_autoptr (VsaMetrics) metrics = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;

  if (config->metrics_address == NULL)
    return TRUE;
  metrics = vsa_metrics_new (host);
  if (!vsa_metrics_listen (metrics, config->metrics_address, config->metrics_port, &error))
    {
      g_autofree char *message
          = g_strdup_printf ("metrics-listen: cannot listen on %s port %u: %s",
                             config->metrics_address, config->metrics_port, error->message);

      *status = config_error (notify, message);
      return FALSE;
    }
  url = vsa_http_url (config->metrics_address, vsa_metrics_get_port (metrics));
  g_message ("metrics on %s/metrics", url);
  *out = g_steal_pointer (&metrics);
  return TRUE;
}

/* --listen: no controller; the browser brings its offer over WHEP (vsa-whep.h). */
static int
run_standalone (const VsaConfig *config, VsaNotify *notify, GMainLoop *loop, FreshStart *fresh,
                GVariant *handover)
{
  g_autoptr (VsaWhep) whep = vsa_whep_new (config);
  g_autoptr (VsaMetrics) metrics = NULL;
  VsaSessionHost *host = vsa_whep_get_host (whep);
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;
  int status = 0;

  if (!vsa_whep_listen (whep, config->listen_address, config->listen_port, &error))
    {
      g_autofree char *message
          = g_strdup_printf ("listen: cannot listen on %s port %u: %s", config->listen_address,
                             config->listen_port, error->message);

      return config_error (notify, message);
    }
  if (!serve_metrics (config, host, &metrics, notify, &status))
    return status;
  vsa_http_close_unclaimed ();
  url = vsa_http_url (config->listen_address, vsa_whep_get_port (whep));
  g_message ("standalone: viewer on %s/, WHEP endpoint %s/whep", url, url);
  take_over (handover, host, NULL);
  fresh->host = host;
  follow_sessions (fresh, config);
  follow_host (host, config);
  g_signal_connect (host, "status-changed", G_CALLBACK (on_status_changed), notify);
  vsa_notify_start (notify);
  vsa_notify_status (notify, vsa_session_host_get_status (host));
  g_main_loop_run (loop);
  g_message ("standalone: stopping");
  return 0;
}

int
main (int argc, char **argv)
{
  g_autoptr (VsaConfig) config = vsa_config_new ();
  g_autoptr (GError) error = NULL;
  /* first: its variable is not for the configuration, nor for any later image */
  g_autoptr (GVariant) handover = vsa_process_take_handover ();
  g_auto (GStrv) environment = g_get_environ ();
  g_autoptr (GMainLoop) loop = NULL;
  /* Outlives the agent, whose signal handler and teardown may still use it. */
  g_autoptr (VsaNotify) notify = vsa_notify_new ((const char *const *) environment);
  FreshStart fresh = { argv, environment, NULL, NULL, 0 };
  g_autoptr (GVariant) listeners = NULL;
  g_autoptr (VsaAgent) agent = NULL;
  g_autoptr (VsaMetrics) metrics = NULL;
  int status = 0;
  Quit quit = { NULL, NULL };
  g_autofree char *missing = NULL;

  vsa_process_init_heap ();
  /* A write to a vanished X server or peer must be an error to handle, not death. */
  signal (SIGPIPE, SIG_IGN);
  journal = vsa_journal_is_connected ();
  g_log_set_writer_func (write_log, NULL, NULL);
  if (!vsa_config_load (config, argv, environment, &error))
    return config_error (notify, error->message);
  if (config->show_version)
    {
      printf ("vm-stream-agent %s\n", PACKAGE_VERSION);
      return 0;
    }
  verbose = config->verbose;
  /* the lines before the agent's first state carry the session too */
  vsa_journal_set_context (&(VsaJournalContext){ .session_id = config->session_id });

  vsa_process_init_plugins ();
  gst_init (NULL, NULL);
  missing = vsa_pipeline_missing_elements (config);
  if (missing != NULL)
    {
      g_autofree char *message = g_strdup_printf ("missing GStreamer elements: %s", missing);

      return config_error (notify, message);
    }

  /* Settled once, here: a forced encoder that is not there is a configuration error, and
   * the first session does not wait for the probe. */
  if (g_strv_contains ((const char *const *) config->codecs, "h264")
      || g_strv_contains ((const char *const *) config->codecs, VSA_CODEC_OFFER_ORDER))
    {
      g_autofree char *reason = NULL;
      VsaH264Encoder h264;

      if (!vsa_encoder_settle_h264 (config->encoder, &h264, &reason, &error))
        return config_error (notify, error->message);
      g_message ("H264 encoder: %s (%s)", vsa_h264_encoder_to_string (h264), reason);
    }

  loop = g_main_loop_new (NULL, FALSE);
  quit.loop = loop;
  quit.notify = notify;
  g_unix_signal_add (SIGTERM, on_quit_signal, &quit);
  g_unix_signal_add (SIGINT, on_quit_signal, &quit);

  listeners = handover != NULL ? g_variant_lookup_value (handover, "listeners", NULL) : NULL;
  if (listeners != NULL)
    vsa_http_take_over (listeners);
  if (config->listen_address != NULL)
    return run_standalone (config, notify, loop, &fresh, handover);

  agent = vsa_agent_new (config, &error);
  if (agent == NULL)
    return config_error (notify, error->message);
  g_signal_connect (agent, "status-changed", G_CALLBACK (on_status_changed), notify);
  if (!serve_metrics (config, vsa_agent_get_host (agent), &metrics, notify, &status))
    return status;
  vsa_http_close_unclaimed ();
  take_over (handover, vsa_agent_get_host (agent), agent);
  fresh.host = vsa_agent_get_host (agent);
  fresh.agent = agent;
  follow_sessions (&fresh, config);
  follow_host (vsa_agent_get_host (agent), config);
  vsa_notify_start (notify);
  vsa_agent_start (agent);
  g_main_loop_run (loop);

  g_message ("session %s: stopping", config->session_id);
  vsa_agent_stop (agent);
  return 0;
}
