package io.pvring.bench.ring;

/** The ring implementations a ring run can measure, with the factory for each Java one. */
public enum RingImpl
{
    PVRING("pvring"),
    AGRONA("agrona"),
    JUC_ABQ("juc-abq"),
    NATIVE_C("native-c");

    private final String label;

    RingImpl(final String label)
    {
        this.label = label;
    }

    public String label()
    {
        return label;
    }

    /** Whether it has event indices, so that its sides can sleep until notified ({@link IdleKind#NOTIFY}). */
    public boolean hasEventIndices()
    {
        return this == PVRING || this == NATIVE_C;
    }

    /** A fresh Java workload (one per run: rings start empty, the JIT profile of each class stays its own). */
    public RingHandoff newHandoff(final RingConfig config)
    {
        switch (this)
        {
            case PVRING:
                return new PvringHandoff(config);
            case AGRONA:
                return new AgronaHandoff(config);
            case JUC_ABQ:
                return new QueueHandoff(config);
            default:
                throw new IllegalArgumentException("impl=" + label + " is not a Java ring");
        }
    }
}
