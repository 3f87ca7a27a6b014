/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GET …/offer bodies: the offer and its candidates, then its SDP read as the agent does. */
#include "fuzz-common.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  /* No gst_init (): the SDP parser needs none, and its quarks overflow GLib's first quark
   * block, which GLib then leaks on purpose (LeakSanitizer would report it). */
  vsa_fuzz_init ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaOffer) offer = vsa_offer_parse ((const char *) data, size, &error);
  g_autoptr (GstSDPMessage) sdp = NULL;

  if (offer == NULL)
    {
      VSA_FUZZ_CHECK (error != NULL && error->domain == VSA_SIGNALING_ERROR);
      return 0;
    }
  VSA_FUZZ_CHECK (error == NULL && offer->sdp != NULL && offer->sdp[0] != '\0');
  VSA_FUZZ_CHECK (g_utf8_validate (offer->sdp, -1, NULL));
  vsa_fuzz_check_candidates (offer->candidates);

  if (gst_sdp_message_new_from_text (offer->sdp, &sdp) == GST_SDP_OK)
    vsa_fuzz_choose_codecs (sdp);
  return 0;
}
