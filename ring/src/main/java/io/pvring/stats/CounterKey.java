package io.pvring.stats;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static io.pvring.stats.CounterKeyDescriptor.DEVID_OFFSET;
import static io.pvring.stats.CounterKeyDescriptor.DOMID_OFFSET;
import static io.pvring.stats.CounterKeyDescriptor.KIND_OFFSET;
import static io.pvring.stats.CounterKeyDescriptor.MAX_NAME;
import static io.pvring.stats.CounterKeyDescriptor.NAME_LENGTH_OFFSET;
import static io.pvring.stats.CounterKeyDescriptor.NAME_OFFSET;
import static io.pvring.stats.CounterKeyDescriptor.QUEUE_OFFSET;
import static io.pvring.stats.CounterKeyDescriptor.REGISTERED_MICROS_OFFSET;
import static io.pvring.stats.CounterKeyDescriptor.SLOT_GENERATION_OFFSET;
import static io.pvring.stats.CounterKeyDescriptor.SLOT_OFFSET;

/**
 * A counter's key ({@link CounterKeyDescriptor}) as a value: written at allocation, read back by monitors.
 *
 * @param kind null when the key's kind code is unknown to this version.
 * @param name the guest's name for a domain counter, else empty.
 */
public record CounterKey(
    DeviceKind kind, int domid, int devid, int queue, int slot, int slotGeneration, long registeredMicros,
    String name)
{
    /** Writes this key at offset 0 of {@code key} (explicitly little endian, as every pvring layout). */
    public void write(final MutableDirectBuffer key)
    {
        key.putInt(DOMID_OFFSET, domid, ByteOrder.LITTLE_ENDIAN);
        key.putInt(KIND_OFFSET, kind.code(), ByteOrder.LITTLE_ENDIAN);
        key.putInt(DEVID_OFFSET, devid, ByteOrder.LITTLE_ENDIAN);
        key.putInt(QUEUE_OFFSET, queue, ByteOrder.LITTLE_ENDIAN);
        key.putInt(SLOT_OFFSET, slot, ByteOrder.LITTLE_ENDIAN);
        key.putInt(SLOT_GENERATION_OFFSET, slotGeneration, ByteOrder.LITTLE_ENDIAN);
        key.putLong(REGISTERED_MICROS_OFFSET, registeredMicros, ByteOrder.LITTLE_ENDIAN);
        final byte[] bytes = truncated(name);
        key.putInt(NAME_LENGTH_OFFSET, bytes.length, ByteOrder.LITTLE_ENDIAN);
        key.putBytes(NAME_OFFSET, bytes);
    }

    /** The key at {@code offset} of {@code buffer} (a metadata record's key). */
    public static CounterKey read(final DirectBuffer buffer, final int offset)
    {
        final java.nio.ByteOrder le = ByteOrder.LITTLE_ENDIAN;
        final int nameLength = Math.max(0, Math.min(MAX_NAME, buffer.getInt(offset + NAME_LENGTH_OFFSET, le)));
        final byte[] name = new byte[nameLength];
        buffer.getBytes(offset + NAME_OFFSET, name);
        return new CounterKey(DeviceKind.of(buffer.getInt(offset + KIND_OFFSET, le)),
            buffer.getInt(offset + DOMID_OFFSET, le), buffer.getInt(offset + DEVID_OFFSET, le),
            buffer.getInt(offset + QUEUE_OFFSET, le), buffer.getInt(offset + SLOT_OFFSET, le),
            buffer.getInt(offset + SLOT_GENERATION_OFFSET, le), buffer.getLong(offset + REGISTERED_MICROS_OFFSET, le),
            new String(name, StandardCharsets.UTF_8));
    }

    private static byte[] truncated(final String text)
    {
        final byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return bytes.length <= MAX_NAME ? bytes : Arrays.copyOf(bytes, MAX_NAME);
    }
}
