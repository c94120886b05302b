package io.pvring.netback.ctrl;

import java.nio.ByteOrder;

import io.pvring.netback.packet.PacketInfo;
import io.pvring.netif.Netif;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One immutable snapshot of a vif's receive-side steering, set through the control ring: algorithm, hash types
 * ({@code XEN_NETIF_CTRL_HASH_TYPE_*}), Toeplitz key and the mapping table from hash to queue. Every control
 * request builds a new snapshot from a private copy, validates it, and only then publishes it (XSA-270: the guest
 * never sees, nor can change, a half-validated table). Forwarding threads read whichever snapshot is current.
 */
public final class HashConfig
{
    /** Linux {@code XEN_NETBK_MAX_HASH_KEY_SIZE}. */
    public static final int MAX_KEY_SIZE = 40;
    /** Linux {@code XEN_NETBK_MAX_HASH_MAPPING_SIZE}. */
    public static final int MAX_MAPPING_SIZE = 128;
    public static final int SUPPORTED_TYPES = Netif.XEN_NETIF_CTRL_HASH_TYPE_IPV4
        | Netif.XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP | Netif.XEN_NETIF_CTRL_HASH_TYPE_IPV6
        | Netif.XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP;

    public static final HashConfig NONE = new HashConfig(Netif.XEN_NETIF_CTRL_HASH_ALGORITHM_NONE, 0,
        new byte[MAX_KEY_SIZE], new int[0]);

    private final int algorithm;
    private final int types;
    private final byte[] key;
    private final int[] mapping;

    HashConfig(final int algorithm, final int types, final byte[] key, final int[] mapping)
    {
        this.algorithm = algorithm;
        this.types = types;
        this.key = key;
        this.mapping = mapping;
    }

    public int algorithm()
    {
        return algorithm;
    }

    public int types()
    {
        return types;
    }

    public int mappingSize()
    {
        return mapping.length;
    }

    public int mapping(final int index)
    {
        return mapping[index];
    }

    public byte keyByte(final int index)
    {
        return key[index];
    }

    HashConfig withAlgorithm(final int newAlgorithm)
    {
        return new HashConfig(newAlgorithm, types, key, mapping);
    }

    HashConfig withTypes(final int newTypes)
    {
        return new HashConfig(algorithm, newTypes, key, mapping);
    }

    HashConfig withKey(final byte[] newKey)
    {
        return new HashConfig(algorithm, types, newKey, mapping);
    }

    HashConfig withMapping(final int[] newMapping)
    {
        return new HashConfig(algorithm, types, key, newMapping);
    }

    /**
     * The queue for a parsed frame, or -1 when this configuration does not steer it (no algorithm, no hash type
     * for the frame's protocol): the caller then falls back to its own flow hash.
     *
     * @param scratch at least 36 bytes, for the hash input (addresses and ports in network order).
     */
    public int selectQueue(final DirectBuffer frame, final PacketInfo info, final UnsafeBuffer scratch,
        final int queues)
    {
        final long hash = hash(frame, info, scratch);
        return hash < 0 ? -1 : queueOf(hash, queues);
    }

    /**
     * Linux {@code xenvif_set_skb_hash}: the frame's Toeplitz hash with its type, or -1 when this configuration
     * hashes nothing for it.
     *
     * @return {@code (type << 32) | value}: the {@code _XEN_NETIF_CTRL_HASH_TYPE_*} bit number the RX hash extra
     *     carries, and the unsigned 32-bit hash.
     */
    public long hash(final DirectBuffer frame, final PacketInfo info, final UnsafeBuffer scratch)
    {
        if (algorithm != Netif.XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ || types == 0)
        {
            return -1;
        }
        final int input = hashInput(frame, info, scratch);
        if (input == 0)
        {
            return -1;
        }
        final int hash = Toeplitz.hash(key, MAX_KEY_SIZE, scratch, 0, input & 0xFF);
        return ((long)(input >>> 8) << 32) | (hash & 0xFFFF_FFFFL);
    }

    /** The queue of a {@link #hash} result: through the mapping table, or modulo the queues without one. */
    public int queueOf(final long hash, final int queues)
    {
        final long unsigned = hash & 0xFFFF_FFFFL;
        if (mapping.length == 0)
        {
            return (int)(unsigned % queues);
        }
        return mapping[(int)(unsigned % mapping.length)];
    }

    /**
     * Linux {@code xenvif_set_skb_hash}: the TCP 4-tuple when enabled and present, else the address pair.
     *
     * @return the input length, with the hash type's bit number in bits 8..15; 0 for none.
     */
    private int hashInput(final DirectBuffer frame, final PacketInfo info, final UnsafeBuffer scratch)
    {
        final boolean tcp = info.l4Protocol() == PacketInfo.PROTO_TCP;
        if (info.isIpv4())
        {
            if ((types & (Netif.XEN_NETIF_CTRL_HASH_TYPE_IPV4 | Netif.XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP)) == 0)
            {
                return 0;
            }
            scratch.putBytes(0, frame, info.l3Offset() + PacketInfo.IPV4_SRC_OFFSET, 8);
            if (tcp && (types & Netif.XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP) != 0)
            {
                scratch.putInt(8, frame.getInt(info.l4Offset(), ByteOrder.BIG_ENDIAN), ByteOrder.BIG_ENDIAN);
                return 12 | Netif.XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP_BIT << 8;
            }
            return (types & Netif.XEN_NETIF_CTRL_HASH_TYPE_IPV4) != 0 ?
                8 | Netif.XEN_NETIF_CTRL_HASH_TYPE_IPV4_BIT << 8 : 0;
        }
        if (info.isIpv6())
        {
            if ((types & (Netif.XEN_NETIF_CTRL_HASH_TYPE_IPV6 | Netif.XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP)) == 0)
            {
                return 0;
            }
            scratch.putBytes(0, frame, info.l3Offset() + PacketInfo.IPV6_SRC_OFFSET, 32);
            if (tcp && (types & Netif.XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP) != 0)
            {
                scratch.putInt(32, frame.getInt(info.l4Offset(), ByteOrder.BIG_ENDIAN), ByteOrder.BIG_ENDIAN);
                return 36 | Netif.XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP_BIT << 8;
            }
            return (types & Netif.XEN_NETIF_CTRL_HASH_TYPE_IPV6) != 0 ?
                32 | Netif.XEN_NETIF_CTRL_HASH_TYPE_IPV6_BIT << 8 : 0;
        }
        return 0;
    }
}
