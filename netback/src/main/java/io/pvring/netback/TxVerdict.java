package io.pvring.netback;

import io.pvring.netif.TxRequest;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * What {@link TxParser} made of one guest TX chain (the first request, its extra-info slots and its follow-on
 * slots): a kind, a reason when it is not {@link #OK}, and the validated packet description, read from the private
 * copies the parser made. One instance per queue, reused for every packet (nothing is allocated per packet); valid
 * until the next parse.
 */
final class TxVerdict
{
    /** Forward: every size, offset, slot count and extra was checked; the data slots wait to be grant-copied. */
    static final int OK = 0;
    /** Answer every slot {@code NETIF_RSP_ERROR}: a bad packet from a buggy (not malicious) frontend. */
    static final int DROP = 1;
    /** A multicast filter update riding on a dummy packet ({@link #mcastOp()}, {@link #mcastAddr()}). */
    static final int CONTROL = 2;
    /** The frontend is malicious (Linux {@code xenvif_fatal_tx_err}): disable the vif, answer nothing. */
    static final int FATAL = 3;

    static final String DROP_OVERSIZED_FRAGMENT = "a fragment larger than the packet";
    static final String DROP_TOO_MANY_SLOTS = "more than XEN_NETBK_LEGACY_SLOTS_MAX follow-on slots";
    static final String DROP_RUNT = "shorter than an Ethernet header";
    static final String DROP_NO_SG = "several slots without feature-sg";

    private final UnsafeBuffer requests;
    private final TxRequest request = new TxRequest();
    private int kind;
    private String reason;
    private int slots;
    private int extras;
    private int totalSize;
    private int firstFragment;
    private int firstFlags;
    private int gsoType;
    private int gsoSize;
    private int mcastOp;
    private long mcastAddr;

    /** @param requests the parser's private copies of the chain's data slots, {@link TxRequest#LENGTH} apart. */
    TxVerdict(final UnsafeBuffer requests)
    {
        this.requests = requests;
    }

    TxVerdict reset(final int firstFlags, final int totalSize)
    {
        this.kind = OK;
        this.reason = null;
        this.slots = 1;
        this.extras = 0;
        this.totalSize = totalSize;
        this.firstFragment = totalSize;
        this.firstFlags = firstFlags;
        this.gsoType = 0;
        this.gsoSize = 0;
        this.mcastOp = 0;
        this.mcastAddr = 0;
        return this;
    }

    TxVerdict fatal(final String why)
    {
        kind = FATAL;
        reason = why;
        return this;
    }

    TxVerdict drop(final String why)
    {
        kind = DROP;
        reason = why;
        return this;
    }

    TxVerdict control(final int op, final long mac)
    {
        kind = CONTROL;
        mcastOp = op;
        mcastAddr = mac;
        return this;
    }

    void gso(final int type, final int size)
    {
        gsoType = type;
        gsoSize = size;
    }

    void chain(final int slots, final int extras, final int firstFragment)
    {
        this.slots = slots;
        this.extras = extras;
        this.firstFragment = firstFragment;
    }

    int kind()
    {
        return kind;
    }

    /** Why the packet was dropped or the frontend declared malicious; null for {@link #OK} and {@link #CONTROL}. */
    String reason()
    {
        return reason;
    }

    /** Data slots: the first request and its follow-ons (extras not counted). */
    int slots()
    {
        return slots;
    }

    int extras()
    {
        return extras;
    }

    /** The packet length (the first request's {@code size}). */
    int totalSize()
    {
        return totalSize;
    }

    int firstFlags()
    {
        return firstFlags;
    }

    /** {@code XEN_NETIF_GSO_TYPE_*} from a GSO extra, 0 without one. */
    int gsoType()
    {
        return gsoType;
    }

    int gsoSize()
    {
        return gsoType == 0 ? 0 : gsoSize;
    }

    int mcastOp()
    {
        return mcastOp;
    }

    long mcastAddr()
    {
        return mcastAddr;
    }

    /** The private copy of data slot {@code slot} (0 = the first request), as a flyweight (reused). */
    TxRequest request(final int slot)
    {
        return request.wrap(requests, slot * TxRequest.LENGTH);
    }

    /** The bytes data slot {@code slot} holds: the first slot's is the packet length less the follow-ons'. */
    int dataSize(final int slot)
    {
        return slot == 0 ? firstFragment : request(slot).size();
    }
}
