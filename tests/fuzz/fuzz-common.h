/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stddef.h>
#include <stdint.h>

#include "vsa-codec.h"
#include "vsa-signaling.h"

G_BEGIN_DECLS

/* libFuzzer's entry points. */
int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Drops the log messages bad input is expected to cause; a critical is a bug and aborts. */
void vsa_fuzz_init (void);

G_NORETURN void vsa_fuzz_fail (const char *file, int line, const char *expression);

/* An invariant of the code under test: its failure is a bug, reported as a crash. */
#define VSA_FUZZ_CHECK(expression)                                                                 \
  ((expression) ? (void) 0 : vsa_fuzz_fail (__FILE__, __LINE__, #expression))

/* The invariants of parsed candidates (normalised, index in range, valid text). */
void vsa_fuzz_check_candidates (GPtrArray *candidates);

/* Checks that @object, read back from JSON we wrote, carries @candidate. */
void vsa_fuzz_check_candidate_object (JsonObject *object, const VsaCandidate *candidate);

/* Parses JSON we wrote; it must be a well-formed object. */
JsonNode *vsa_fuzz_parse_own_json (const char *json);

/* Runs the codec choice on @sdp as the agent does, with several preferences and installed
 * encoders, and checks what it picks is in the offer's video m-line. */
void vsa_fuzz_choose_codecs (const GstSDPMessage *sdp);

G_END_DECLS
