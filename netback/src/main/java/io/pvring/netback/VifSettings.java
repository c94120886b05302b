package io.pvring.netback;

import io.pvring.grant.GrantMapper;
import io.pvring.netif.FrontendFeatures;
import org.agrona.concurrent.NanoClock;

/**
 * What every queue of one vif shares, fixed at connect: the validated configuration, the negotiated features, the
 * grant mapper of the frontend's domain, the clock and where a malicious frontend is reported.
 */
record VifSettings(
    NetBackConfig config, FrontendFeatures features, GrantMapper mapper, NanoClock clock, FatalHandler fatalHandler)
{
}
