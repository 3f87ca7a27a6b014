/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vsa-journal.h"

#include <stdio.h>

/* The context's own copies; the lock also keeps them alive while an entry is written. */
static GMutex context_lock;
static char *context_session_id;
static char *context_state;
static char *context_codec;
static char *context_offer_id;

static gboolean
vsa_journal_has_field (const GLogField *fields, gsize n_fields, const char *key)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_strcmp0 (fields[i].key, key) == 0)
      return TRUE;
  return FALSE;
}

static void
vsa_journal_add_field (GArray *out, const GLogField *fields, gsize n_fields, const char *key,
                       const char *value)
{
  GLogField field = { key, value, -1 };

  /* a caller's own field (g_log_structured with SESSION_ID=) wins over the context */
  if (value == NULL || *value == '\0' || vsa_journal_has_field (fields, n_fields, key))
    return;
  g_array_append_val (out, field);
}

GArray *
vsa_journal_build_fields (const GLogField *fields, gsize n_fields, const char *identifier,
                          const VsaJournalContext *context)
{
  GArray *out = g_array_sized_new (FALSE, FALSE, sizeof (GLogField), n_fields + 5);

  g_array_append_vals (out, fields, (guint) n_fields);
  vsa_journal_add_field (out, fields, n_fields, "SYSLOG_IDENTIFIER", identifier);
  vsa_journal_add_field (out, fields, n_fields, "SESSION_ID", context->session_id);
  vsa_journal_add_field (out, fields, n_fields, "STATE", context->state);
  vsa_journal_add_field (out, fields, n_fields, "CODEC", context->codec);
  vsa_journal_add_field (out, fields, n_fields, "OFFER_ID", context->offer_id);
  return out;
}

static void
vsa_journal_replace (char **field, const char *value)
{
  g_free (*field);
  *field = g_strdup (value);
}

void
vsa_journal_set_context (const VsaJournalContext *context)
{
  g_mutex_lock (&context_lock);
  vsa_journal_replace (&context_session_id, context->session_id);
  vsa_journal_replace (&context_state, context->state);
  vsa_journal_replace (&context_codec, context->codec);
  vsa_journal_replace (&context_offer_id, context->offer_id);
  g_mutex_unlock (&context_lock);
}

gboolean
vsa_journal_is_connected (void)
{
  return g_log_writer_is_journald (fileno (stderr));
}

GLogWriterOutput
vsa_journal_write (GLogLevelFlags level, const GLogField *fields, gsize n_fields)
{
  g_autoptr (GArray) entry = NULL;
  GLogWriterOutput result;

  /* held while writing: g_log_writer_journald logs nothing itself, so this cannot
   * recurse, and the strings stay put */
  g_mutex_lock (&context_lock);
  entry = vsa_journal_build_fields (
      fields, n_fields, PACKAGE,
      &(VsaJournalContext){ context_session_id, context_state, context_codec, context_offer_id });
  result = g_log_writer_journald (level, (const GLogField *) entry->data, entry->len, NULL);
  g_mutex_unlock (&context_lock);
  return result;
}
