package io.pvring.bench.cli;

/** How the device sides wait: polling (a core each, lowest latency) or event-channel notifications. */
public enum WaitMode
{
    POLL, NOTIFY
}
