package io.pvring.bench.cli;

/** A feature switch on the command line: {@code on} or {@code off}. */
public enum OnOff
{
    ON, OFF;

    public boolean on()
    {
        return this == ON;
    }
}
