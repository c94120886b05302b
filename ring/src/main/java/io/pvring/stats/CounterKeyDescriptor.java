package io.pvring.stats;

import org.agrona.concurrent.status.CountersReader;

/**
 * Layout of the key every pvring counter carries in its Agrona metadata record, so a reader groups counters by
 * guest, device and queue without parsing labels.
 *
 * <pre>
 *    0  domid (LE int)               the guest (frontend domain)
 *    4  kind (LE int)                {@link DeviceKind#code()}
 *    8  devid (LE int)               xenstore device id (vbd: 202:(16*index) for xvdX; vif: handle)
 *   12  queue (LE int)               ring/queue index, QUEUE_NONE for a domain counter
 *   16  slot (LE int)                device slot ({@link DeviceSlotDescriptor}) or SLOT_NONE
 *   20  slot generation (LE int)     the slot's generation when the device took it
 *   24  registered (LE long)         wall clock when the device registered, microseconds since the epoch
 *   32  name length (LE int)         domain counters only: the guest's name
 *   36  name (MAX_NAME bytes, UTF-8)
 * </pre>
 */
public final class CounterKeyDescriptor
{
    public static final int DOMID_OFFSET = 0;
    public static final int KIND_OFFSET = 4;
    public static final int DEVID_OFFSET = 8;
    public static final int QUEUE_OFFSET = 12;
    public static final int SLOT_OFFSET = 16;
    public static final int SLOT_GENERATION_OFFSET = 20;
    public static final int REGISTERED_MICROS_OFFSET = 24;
    public static final int NAME_LENGTH_OFFSET = 32;
    public static final int NAME_OFFSET = 36;
    public static final int MAX_NAME = 64;
    public static final int LENGTH = NAME_OFFSET + MAX_NAME;

    public static final int QUEUE_NONE = -1;
    public static final int SLOT_NONE = -1;
    /** Type id of the one counter per guest that names it (its value is the domid). */
    public static final int DOMAIN_TYPE_ID = 1;

    static
    {
        if (LENGTH > CountersReader.MAX_KEY_LENGTH)
        {
            throw new AssertionError("key length=" + LENGTH + " max=" + CountersReader.MAX_KEY_LENGTH);
        }
    }

    private CounterKeyDescriptor()
    {
    }
}
