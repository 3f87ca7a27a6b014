/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Logging to systemd's journal with the agent's fields on every entry, so that
 * `journalctl -u vm-stream-agent SESSION_ID=…` (or OFFER_ID=…) finds one session.
 * The fields come from a log context the main thread keeps current; the writer may run
 * on any thread. */
typedef struct
{
  const char *session_id; /* SESSION_ID= */
  const char *state;      /* STATE=: waiting, negotiating, streaming, ended */
  const char *codec;      /* CODEC=, when known */
  const char *offer_id;   /* OFFER_ID=, while an offer is answered or streamed */
} VsaJournalContext;

/* The fields of one entry: @fields as GLib gives them (MESSAGE, PRIORITY, GLIB_DOMAIN, …),
 * then SYSLOG_IDENTIFIER (@identifier, may be NULL) and the context's fields, each one
 * that is set, not empty, and not already among @fields. The values are borrowed from
 * the arguments. Returns an array of GLogField. */
GArray *vsa_journal_build_fields (const GLogField *fields, gsize n_fields, const char *identifier,
                                  const VsaJournalContext *context);

/* Replaces the context the writer adds (copied); any thread. */
void vsa_journal_set_context (const VsaJournalContext *context);

/* TRUE when stderr is a stream to the journal (systemd's StandardError=journal, the
 * default for a service): GLib's own test. */
gboolean vsa_journal_is_connected (void);

/* A GLogWriterFunc's work: sends the entry with the context's fields to the journal.
 * G_LOG_WRITER_UNHANDLED when the journal cannot be reached. */
GLogWriterOutput vsa_journal_write (GLogLevelFlags level, const GLogField *fields, gsize n_fields);

G_END_DECLS
