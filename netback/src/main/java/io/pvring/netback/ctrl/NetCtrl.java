package io.pvring.netback.ctrl;

import java.nio.ByteOrder;

import io.pvring.event.EventPort;
import io.pvring.grant.GrantMapper;
import io.pvring.grant.GrantStatus;
import io.pvring.netif.CtrlRequest;
import io.pvring.netif.CtrlResponse;
import io.pvring.netif.Netif;
import io.pvring.netif.NetifRings;
import io.pvring.ring.BackRing;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import static io.pvring.ring.SharedRingDescriptor.PAGE_SIZE;

/**
 * The backend side of a vif's control ring ({@code feature-ctrl-ring}), as Linux {@code xenvif_ctrl_action}: each
 * request is copied out once, the hash key and mapping are grant-copied into private memory, validated there
 * (key length, mapping size, every queue index below the number of queues) and published as a new
 * {@link HashConfig} only when valid (XSA-270). Unsupported operations (the staging-grant ones Linux does not
 * implement either) get {@code XEN_NETIF_CTRL_STATUS_NOT_SUPPORTED}. Runs on the vif's thread; a ring whose
 * producer index overflows is reported through {@code onBroken}.
 */
public final class NetCtrl
{
    private final BackRing ring;
    private final GrantMapper mapper;
    private final EventPort event;
    private final int queues;
    private final Runnable onBroken;
    private final UnsafeBuffer request = new UnsafeBuffer(new byte[NetifRings.CTRL_SLOT_BYTES]);
    private final CtrlRequest req = new CtrlRequest();
    private final CtrlResponse rsp = new CtrlResponse();
    private final UnsafeBuffer copy = new UnsafeBuffer(new byte[PAGE_SIZE]);
    private volatile HashConfig config = HashConfig.NONE;
    private boolean broken;
    private long status;

    public NetCtrl(final AtomicBuffer ringBuffer, final GrantMapper mapper, final EventPort event, final int queues,
        final Runnable onBroken)
    {
        this.ring = new BackRing(ringBuffer, NetifRings.CTRL).init();
        this.mapper = mapper;
        this.event = event;
        this.queues = queues;
        this.onBroken = onBroken;
    }

    /** The steering configuration now in force (read by forwarding threads). */
    public HashConfig hashConfig()
    {
        return config;
    }

    public int doWork()
    {
        if (broken)
        {
            return 0;
        }
        if (event.isPending())
        {
            event.consumePending();
        }
        final int available = ring.unconsumedRequests();
        if (available == BackRing.BROKEN)
        {
            broken = true;
            onBroken.run();
            return 0;
        }
        for (int i = 0; i < available; i++)
        {
            ring.copyRequest(request, 0);
            req.wrap(request, 0);
            final long data = handle(req);
            final AtomicBuffer page = ring.buffer();
            final int offset = ring.responseOffset();
            rsp.wrap(page, offset).id(req.id()).type(req.type()).status(status).data(data);
            page.putInt(offset + CtrlResponse.LENGTH, 0); // the slot's last 4 bytes held the request
            ring.nextResponse();
        }
        if (available > 0 && ring.pushResponsesAndCheckNotify())
        {
            event.notifyRemote();
        }
        return available;
    }

    /**
     * Before the agent serving the control ring sleeps: {@code RING_FINAL_CHECK_FOR_REQUESTS}.
     *
     * @return true when a request arrived before the index was armed (the next {@link #doWork()} takes it).
     */
    public boolean armAndCheck()
    {
        return !broken && ring.finalCheckForRequests();
    }

    private long handle(final CtrlRequest r)
    {
        status = Netif.XEN_NETIF_CTRL_STATUS_SUCCESS;
        final HashConfig current = config;
        switch (r.type())
        {
            case Netif.XEN_NETIF_CTRL_TYPE_GET_HASH_FLAGS:
                return HashConfig.SUPPORTED_TYPES;
            case Netif.XEN_NETIF_CTRL_TYPE_SET_HASH_FLAGS:
            {
                final long flags = r.data(0);
                if ((flags & ~HashConfig.SUPPORTED_TYPES) != 0
                    || current.algorithm() == Netif.XEN_NETIF_CTRL_HASH_ALGORITHM_NONE)
                {
                    return invalid();
                }
                config = current.withTypes((int)flags);
                return 0;
            }
            case Netif.XEN_NETIF_CTRL_TYPE_SET_HASH_KEY:
                return setKey(current, (int)r.data(0), r.data(1));
            case Netif.XEN_NETIF_CTRL_TYPE_GET_HASH_MAPPING_SIZE:
                return HashConfig.MAX_MAPPING_SIZE;
            case Netif.XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING_SIZE:
            {
                final long size = r.data(0);
                if (size > HashConfig.MAX_MAPPING_SIZE)
                {
                    return invalid();
                }
                config = current.withMapping(new int[(int)size]);
                return 0;
            }
            case Netif.XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING:
                return setMapping(current, (int)r.data(0), r.data(1), r.data(2));
            case Netif.XEN_NETIF_CTRL_TYPE_SET_HASH_ALGORITHM:
            {
                final long algorithm = r.data(0);
                if (algorithm != Netif.XEN_NETIF_CTRL_HASH_ALGORITHM_NONE
                    && algorithm != Netif.XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ)
                {
                    return invalid();
                }
                config = current.withAlgorithm((int)algorithm);
                return 0;
            }
            default:
                status = Netif.XEN_NETIF_CTRL_STATUS_NOT_SUPPORTED;
                return 0;
        }
    }

    private long invalid()
    {
        status = Netif.XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER;
        return 0;
    }

    private long setKey(final HashConfig current, final int gref, final long length)
    {
        if (length > HashConfig.MAX_KEY_SIZE)
        {
            return invalid();
        }
        final byte[] key = new byte[HashConfig.MAX_KEY_SIZE]; // the remainder stays zero, as Linux clears it
        if (length > 0)
        {
            if (mapper.copyFromGuest(gref, 0, copy, 0, (int)length) != GrantStatus.GNTST_OKAY)
            {
                return invalid();
            }
            copy.getBytes(0, key, 0, (int)length);
        }
        config = current.withKey(key);
        return 0;
    }

    private long setMapping(final HashConfig current, final int gref, final long length, final long offset)
    {
        final int size = current.mappingSize();
        if (length > size || offset > size - length || length * 4 > PAGE_SIZE)
        {
            return invalid();
        }
        if (length == 0)
        {
            return 0;
        }
        if (mapper.copyFromGuest(gref, 0, copy, 0, (int)length * 4) != GrantStatus.GNTST_OKAY)
        {
            return invalid();
        }
        final int[] next = new int[size];
        for (int i = 0; i < size; i++)
        {
            next[i] = current.mapping(i);
        }
        for (int i = 0; i < length; i++)
        {
            // validated on the private copy: the guest cannot change it after this check (XSA-270)
            final long queue = copy.getInt(i * 4, ByteOrder.LITTLE_ENDIAN) & 0xFFFF_FFFFL;
            if (queue >= queues)
            {
                return invalid();
            }
            next[(int)offset + i] = (int)queue;
        }
        config = current.withMapping(next);
        return 0;
    }
}
