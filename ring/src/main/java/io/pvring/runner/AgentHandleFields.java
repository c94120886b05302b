package io.pvring.runner;

/**
 * {@link AgentHandle}'s mutable state, padded on both sides (see {@link AgentHandlePadding}); only ints and longs,
 * so the JVM leaves no gap it could fill with the padding that follows.
 */
abstract class AgentHandleFields extends AgentHandlePadding
{
    /** Set to 1 by wakers (any thread), swapped to 0 by the runner. */
    int signalled;
    /** 1 while the agent sleeps (armed) until signalled or due; written by the runner thread only. */
    volatile int asleep;
    /** Runner thread only: when the current idle spell began, or {@link Runner#NONE}. */
    long idleSince = Runner.NONE;
    /** Runner thread only: wake by this time even without a signal, or {@link Runner#NONE}. */
    long deadline = Runner.NONE;
    /** Written by the runner thread only (release), read by anyone (acquire). */
    long pollWindowNanos;
    long pollNanos;
    long sleeps;
    long wakeups;
}
