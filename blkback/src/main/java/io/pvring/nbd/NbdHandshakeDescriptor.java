package io.pvring.nbd;

/**
 * Layouts of the fixed newstyle handshake ({@code doc/proto.md}, "Newstyle negotiation"), big endian.
 *
 * <pre>
 * server greeting (18 bytes)          option request (16 + length)        option reply (20 + length)
 *  0 u64 NBDMAGIC                      0 u64 IHAVEOPT                       0 u64 NBD_REP_MAGIC
 *  8 u64 IHAVEOPT                      8 u32 option                         8 u32 option (echoed)
 * 16 u16 handshake flags              12 u32 length                        12 u32 reply type
 *                                     16 ...  data                         16 u32 length
 * client flags: u32                                                        20 ...  data
 *
 * NBD_OPT_GO data: u32 name length, name, u16 n, n x u16 info type
 * NBD_REP_INFO data: u16 type, then NBD_INFO_EXPORT: u64 size, u16 transmission flags (12 bytes in all)
 *                                    NBD_INFO_BLOCK_SIZE: u32 minimum, u32 preferred, u32 maximum (14 bytes)
 * NBD_OPT_EXPORT_NAME reply (no header): u64 size, u16 transmission flags, 124 zero bytes unless NO_ZEROES
 * </pre>
 */
public final class NbdHandshakeDescriptor
{
    public static final int GREETING_MAGIC_OFFSET = 0;
    public static final int GREETING_OPTION_MAGIC_OFFSET = 8;
    public static final int GREETING_FLAGS_OFFSET = 16;
    public static final int GREETING_LENGTH = 18;

    public static final int CLIENT_FLAGS_LENGTH = 4;

    public static final int OPTION_MAGIC_OFFSET = 0;
    public static final int OPTION_OPTION_OFFSET = 8;
    public static final int OPTION_LENGTH_OFFSET = 12;
    public static final int OPTION_HEADER_LENGTH = 16;

    public static final int OPTION_REPLY_MAGIC_OFFSET = 0;
    public static final int OPTION_REPLY_OPTION_OFFSET = 8;
    public static final int OPTION_REPLY_TYPE_OFFSET = 12;
    public static final int OPTION_REPLY_LENGTH_OFFSET = 16;
    public static final int OPTION_REPLY_HEADER_LENGTH = 20;
    /** The longest option reply payload this client accepts (a server cannot make it buffer more). */
    public static final int MAX_OPTION_REPLY_LENGTH = 64 << 10;

    public static final int INFO_TYPE_OFFSET = 0;
    public static final int INFO_EXPORT_SIZE_OFFSET = 2;
    public static final int INFO_EXPORT_FLAGS_OFFSET = 10;
    public static final int INFO_EXPORT_LENGTH = 12;
    public static final int INFO_BLOCK_SIZE_MINIMUM_OFFSET = 2;
    public static final int INFO_BLOCK_SIZE_PREFERRED_OFFSET = 6;
    public static final int INFO_BLOCK_SIZE_MAXIMUM_OFFSET = 10;
    public static final int INFO_BLOCK_SIZE_LENGTH = 14;

    public static final int EXPORT_NAME_REPLY_SIZE_OFFSET = 0;
    public static final int EXPORT_NAME_REPLY_FLAGS_OFFSET = 8;
    public static final int EXPORT_NAME_REPLY_LENGTH = 10;
    public static final int EXPORT_NAME_REPLY_ZEROES = 124;

    /** The longest export name the protocol allows (4096 bytes of UTF-8). */
    public static final int MAX_EXPORT_NAME_LENGTH = 4096;

    private NbdHandshakeDescriptor()
    {
    }
}
