package io.pvring.bench.cli;

/** Where a bench's frontend runs: a thread of this JVM, or a C process on the shipped client (and both measured). */
public enum FrontendKind
{
    THREAD, PROCESS
}
