/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GET …/candidates/browser bodies, and each candidate written back as the agent posts its own. */
#include "fuzz-common.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  vsa_fuzz_init ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) candidates = vsa_candidates_parse ((const char *) data, size, &error);

  if (candidates == NULL)
    {
      VSA_FUZZ_CHECK (error != NULL && error->domain == VSA_SIGNALING_ERROR);
      return 0;
    }
  VSA_FUZZ_CHECK (error == NULL);
  vsa_fuzz_check_candidates (candidates);

  for (guint i = 0; i < candidates->len; i++)
    {
      const VsaCandidate *candidate = g_ptr_array_index (candidates, i);
      g_autofree char *json = vsa_candidate_to_json (candidate);
      g_autoptr (JsonNode) root = vsa_fuzz_parse_own_json (json);
      JsonObject *object = json_node_get_object (root);

      vsa_fuzz_check_candidate_object (object, candidate);
      VSA_FUZZ_CHECK (
          g_strcmp0 (json_object_get_string_member_with_default (object, "from", NULL), "vm") == 0);
    }
  return 0;
}
