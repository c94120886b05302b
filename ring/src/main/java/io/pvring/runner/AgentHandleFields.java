package io.pvring.runner;

import io.pvring.event.WaitMode;

/** {@link AgentHandle}'s mutable state, padded on both sides (see {@link AgentHandlePadding}). */
abstract class AgentHandleFields extends AgentHandlePadding
{
    /** Set to 1 by wakers (any thread), swapped to 0 by the runner. */
    int signalled;
    /** Runner thread only: the agent sleeps (armed) until signalled or its deadline passes. */
    volatile boolean asleep;
    /** Runner thread only: when the current idle spell began, or {@link Runner#NONE}. */
    long idleSince = Runner.NONE;
    /** Runner thread only: wake by this time even without a signal, or {@link Runner#NONE}. */
    long deadline = Runner.NONE;
    /** Written by the runner thread only (release), read by anyone (acquire). */
    long pollWindowNanos;
    long pollNanos;
    long sleeps;
    long wakeups;
    volatile boolean removed;
    WaitMode mode;
}
