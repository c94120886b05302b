package io.pvring.nbd;

import java.io.IOException;
import java.util.List;

import io.pvring.blkback.test.ExternalTools;
import io.pvring.testing.RequiredTools;

/**
 * Real tools for the NBD interop tests: a missing one is answered by {@link RequiredTools}, and they run through
 * {@link ExternalTools}.
 */
final class NbdTools
{
    private NbdTools()
    {
    }

    static void require(final String tool, final String debianPackage)
    {
        RequiredTools.requireExecutable(tool, debianPackage);
    }

    /** Runs a command to completion (bounded); returns its exit status and output. */
    static ExternalTools.Result run(final List<String> command) throws IOException, InterruptedException
    {
        return ExternalTools.runForResult(command);
    }

    /** Runs a command that must succeed; returns its output. */
    static String runOk(final List<String> command) throws IOException, InterruptedException
    {
        return ExternalTools.run(command);
    }
}
