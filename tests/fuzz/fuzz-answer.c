/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The answer body round trip: an offer body's SDP and candidates go into the POST …/answer body,
 * which must read back as the same answer. */
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
  g_autoptr (VsaOffer) offer = vsa_offer_parse ((const char *) data, size, NULL);
  g_autofree char *json = NULL;
  g_autoptr (JsonNode) root = NULL;
  JsonObject *object;
  JsonObject *answer;
  JsonArray *candidates;

  if (offer == NULL)
    return 0;
  json = vsa_answer_to_json (offer->sdp, offer->candidates);
  root = vsa_fuzz_parse_own_json (json);
  object = json_node_get_object (root);

  VSA_FUZZ_CHECK (json_object_has_member (object, "answer"));
  answer = json_object_get_object_member (object, "answer");
  VSA_FUZZ_CHECK (answer != NULL);
  VSA_FUZZ_CHECK (
      g_strcmp0 (json_object_get_string_member_with_default (answer, "type", NULL), "answer") == 0);
  VSA_FUZZ_CHECK (
      g_strcmp0 (json_object_get_string_member_with_default (answer, "sdp", NULL), offer->sdp)
      == 0);

  VSA_FUZZ_CHECK (json_object_has_member (object, "candidates"));
  candidates = json_object_get_array_member (object, "candidates");
  VSA_FUZZ_CHECK (candidates != NULL
                  && json_array_get_length (candidates) == offer->candidates->len);
  for (guint i = 0; i < offer->candidates->len; i++)
    {
      JsonNode *element = json_array_get_element (candidates, i);

      VSA_FUZZ_CHECK (JSON_NODE_HOLDS_OBJECT (element));
      vsa_fuzz_check_candidate_object (json_node_get_object (element),
                                       g_ptr_array_index (offer->candidates, i));
    }
  return 0;
}
