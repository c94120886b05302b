package io.pvring.agent;

import java.nio.channels.ClosedByInterruptException;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentTerminationException;

/**
 * One device's agent inside the runner's error boundary. An unexpected exception from its {@link #doWork()} stops
 * this agent for good (later duty cycles do nothing), is counted and logged once by the runner's
 * {@link AgentErrors}, and is reported once to the {@link FailureHandler}, which closes the device (a xenbus device:
 * {@code XenbusDevice.requestClose(XenbusDevice.EIO, reason)}). The exception goes no further, so the runner's other
 * agents (other devices, in a composite) keep running. What the runner itself must see passes through: an
 * {@link AgentTerminationException} (stop the runner), an interrupt (as an {@link AgentTerminationException}, the
 * thread's interrupt flag kept), and an {@link OutOfMemoryError} or other {@link VirtualMachineError} but a
 * {@link StackOverflowError} (the process is in trouble, not one device) or a {@linkplain #isMemoryFault memory
 * fault}: memory an emulator shares (a memfd or file region) that it shrank under the mapping makes the next access
 * a SIGBUS, which the JVM turns into an {@link InternalError}; that is the guest's doing, and fails its device only.
 *
 * <p>The try block costs nothing on the duty cycle; call {@link #onClose()} through the runner as for any agent.
 */
public final class GuardedAgent implements Agent
{
    /** Told once, on the runner thread, that the device's agent failed. Must not block: hand the close over. */
    @FunctionalInterface
    public interface FailureHandler
    {
        /** @param reason the device's name and the exception, for the device's error node. */
        void onFailure(String reason);
    }

    private final Agent agent;
    private final AgentErrors errors;
    private final FailureHandler failureHandler;
    private volatile boolean failed;

    public GuardedAgent(final Agent agent, final AgentErrors errors, final FailureHandler failureHandler)
    {
        this.agent = agent;
        this.errors = errors;
        this.failureHandler = failureHandler;
    }

    /** True once the agent threw: it does no more work. */
    public boolean isFailed()
    {
        return failed;
    }

    /** The agent inside. */
    public Agent agent()
    {
        return agent;
    }

    @Override
    public void onStart()
    {
        agent.onStart();
    }

    /** Declares no checked exception, so a caller stepping agents by hand (tests, benchmarks) needs no catch. */
    @Override
    public int doWork()
    {
        if (failed)
        {
            return 0;
        }
        try
        {
            return agent.doWork();
        }
        catch (final AgentTerminationException | VirtualMachineError ex)
        {
            if (ex instanceof StackOverflowError || isMemoryFault(ex))
            {
                fail(ex);
                return 0;
            }
            throw ex;
        }
        catch (final InterruptedException | ClosedByInterruptException ex)
        {
            // the runner's thread is being stopped: keep the interrupt and end the runner's loop
            Thread.currentThread().interrupt();
            throw new AgentTerminationException(ex);
        }
        catch (final Throwable t)
        {
            fail(t);
            return 0;
        }
    }

    /**
     * True for the {@link InternalError} HotSpot throws when an access to mapped memory faults (SIGBUS: the file
     * under the mapping was truncated): "a fault occurred in [a recent] unsafe memory access operation...". Any other
     * {@link VirtualMachineError} is the process's trouble.
     */
    public static boolean isMemoryFault(final Throwable t)
    {
        final String message = t.getMessage();
        return t instanceof InternalError && message != null && message.contains("unsafe memory access");
    }

    private void fail(final Throwable t)
    {
        failed = true;
        final String name = agent.roleName();
        errors.onAgentError(name, t);
        try
        {
            failureHandler.onFailure(name + (isMemoryFault(t)
                ? ": guest memory fault (memory shared with the emulator shrank under its mapping): "
                : ": internal error: ") + t);
        }
        catch (final RuntimeException ex)
        {
            // a failing close hand-over must not take the runner down with it: counted and logged as well
            errors.onAgentError(name + " failure handler", ex);
        }
    }

    @Override
    public void onClose()
    {
        agent.onClose();
    }

    @Override
    public String roleName()
    {
        return agent.roleName();
    }
}
