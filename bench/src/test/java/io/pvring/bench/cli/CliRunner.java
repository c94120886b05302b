package io.pvring.bench.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the picocli entry point in process and keeps what it printed. */
final class CliRunner
{
    final int exitCode;
    final String out;
    final String err;

    private CliRunner(final int exitCode, final String out, final String err)
    {
        this.exitCode = exitCode;
        this.out = out;
        this.err = err;
    }

    static CliRunner run(final String... args)
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new CliRunner(code, out.toString(), err.toString());
    }

    @Override
    public String toString()
    {
        return "exit=" + exitCode + "\nout:\n" + out + "\nerr:\n" + err;
    }
}
