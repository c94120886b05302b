package io.pvring.xenstore;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static io.pvring.xenstore.XsMessageType.XS_CONTROL;
import static io.pvring.xenstore.XsMessageType.XS_DIRECTORY;
import static io.pvring.xenstore.XsMessageType.XS_DIRECTORY_PART;
import static io.pvring.xenstore.XsMessageType.XS_GET_DOMAIN_PATH;
import static io.pvring.xenstore.XsMessageType.XS_GET_PERMS;
import static io.pvring.xenstore.XsMessageType.XS_INTRODUCE;
import static io.pvring.xenstore.XsMessageType.XS_IS_DOMAIN_INTRODUCED;
import static io.pvring.xenstore.XsMessageType.XS_MKDIR;
import static io.pvring.xenstore.XsMessageType.XS_READ;
import static io.pvring.xenstore.XsMessageType.XS_RELEASE;
import static io.pvring.xenstore.XsMessageType.XS_RESET_WATCHES;
import static io.pvring.xenstore.XsMessageType.XS_RESUME;
import static io.pvring.xenstore.XsMessageType.XS_RM;
import static io.pvring.xenstore.XsMessageType.XS_SET_PERMS;
import static io.pvring.xenstore.XsMessageType.XS_SET_TARGET;
import static io.pvring.xenstore.XsMessageType.XS_TRANSACTION_END;
import static io.pvring.xenstore.XsMessageType.XS_TRANSACTION_START;
import static io.pvring.xenstore.XsMessageType.XS_UNWATCH;
import static io.pvring.xenstore.XsMessageType.XS_WATCH;
import static io.pvring.xenstore.XsMessageType.XS_WRITE;
import static io.pvring.xenstore.XsSockMsgDescriptor.XENSTORE_PAYLOAD_MAX;

/**
 * Answers one {@code xs_wire.h} request for a connection, as cxenstored's {@code process_message} does: argument
 * parsing (a malformed payload is EINVAL), the transaction id check (an unknown id is ENOENT; WATCH and UNWATCH
 * ignore it), privileged-only operations (EACCES otherwise), and the reply (same type, request and transaction
 * id; or {@code XS_ERROR} with the error string). Never throws for anything a client sends. Stateless.
 */
public final class XsRequestProcessor
{
    private static final String CONTROL_HELP = "check\nhelp\nprint <text>\nquota\n";

    private XsRequestProcessor()
    {
    }

    public static XsMessage process(final XsConnection c, final XsMessage request)
    {
        try
        {
            final byte[] reply = dispatch(c, request);
            if (reply.length > XENSTORE_PAYLOAD_MAX)
            {
                return XsMessage.error(request, XsError.E2BIG);
            }
            return XsMessage.reply(request, reply);
        }
        catch (final XenStoreException ex)
        {
            return XsMessage.error(request, ex.error());
        }
    }

    private static byte[] dispatch(final XsConnection c, final XsMessage m)
    {
        final int type = m.type();
        final boolean privilegedOnly = type == XS_CONTROL || type == XS_INTRODUCE || type == XS_RELEASE ||
            type == XS_IS_DOMAIN_INTRODUCED || type == XS_RESUME || type == XS_SET_TARGET;
        if (!known(type))
        {
            throw new XenStoreException(XsError.EINVAL, "unknown message type " + XsMessageType.name(type));
        }
        if (privilegedOnly && !c.privileged())
        {
            throw new XenStoreException(XsError.EACCES, XsMessageType.name(type));
        }
        if (type != XS_WATCH && type != XS_UNWATCH)
        {
            c.requireTransaction(m.txId());
        }
        final int tx = m.txId();
        switch (type)
        {
            case XS_READ:
                return c.read(tx, arg(m));
            case XS_DIRECTORY:
                return XsMessage.strings(c.directory(tx, arg(m)));
            case XS_DIRECTORY_PART:
            {
                final List<String> args = args(m, 2);
                return c.directoryPart(tx, args.get(0), atoi(args.get(1)));
            }
            case XS_GET_PERMS:
                return XsMessage.strings(c.getPerms(tx, arg(m)).toStrings());
            case XS_WRITE:
                return write(c, m);
            case XS_MKDIR:
                c.mkdir(tx, arg(m));
                return ok();
            case XS_RM:
                c.rm(tx, arg(m));
                return ok();
            case XS_SET_PERMS:
            {
                final List<String> args = m.nulStrings();
                if (args.size() < 2)
                {
                    throw new XenStoreException(XsError.EINVAL, "SET_PERMS needs a path and permissions");
                }
                c.setPerms(tx, args.get(0), XsPermissions.parse(args.subList(1, args.size())));
                return ok();
            }
            case XS_WATCH:
            {
                final List<String> args = args(m, 2);
                c.watch(args.get(0), args.get(1));
                return ok();
            }
            case XS_UNWATCH:
            {
                final List<String> args = args(m, 2);
                c.unwatch(args.get(0), args.get(1));
                return ok();
            }
            case XS_TRANSACTION_START:
                return XsMessage.nulTerminated(Integer.toUnsignedString(c.transactionStart(tx)));
            case XS_TRANSACTION_END:
            {
                final String arg = arg(m);
                if (!"T".equals(arg) && !"F".equals(arg))
                {
                    throw new XenStoreException(XsError.EINVAL, "TRANSACTION_END needs T or F");
                }
                if (!c.transactionEnd(tx, "T".equals(arg)))
                {
                    throw new XenStoreException(XsError.EAGAIN, "transaction conflicted");
                }
                return ok();
            }
            case XS_GET_DOMAIN_PATH:
                return XsMessage.nulTerminated(XenStore.domainPath(domid(arg(m))));
            case XS_INTRODUCE:
            {
                final List<String> args = m.nulStrings();
                if (args.size() < 3)
                {
                    throw new XenStoreException(XsError.EINVAL, "INTRODUCE needs domid, mfn and port");
                }
                c.store().introduceDomain(domid(args.get(0)));
                return ok();
            }
            case XS_RELEASE:
                c.store().releaseDomain(domid(arg(m)));
                return ok();
            case XS_IS_DOMAIN_INTRODUCED:
                return XsMessage.nulTerminated(c.store().isDomainIntroduced(domid(arg(m))) ? "T" : "F");
            case XS_RESUME:
                c.store().resumeDomain(domid(arg(m)));
                return ok();
            case XS_SET_TARGET:
            {
                final List<String> args = args(m, 2);
                c.store().setTarget(domid(args.get(0)), domid(args.get(1)));
                return ok();
            }
            case XS_RESET_WATCHES:
                c.resetWatches();
                return ok();
            case XS_CONTROL:
                return control(c, m);
            default:
                throw new XenStoreException(XsError.EINVAL, XsMessageType.name(type));
        }
    }

    private static boolean known(final int type)
    {
        return (type >= XS_CONTROL && type <= XS_WRITE) || type == XS_MKDIR || type == XS_RM ||
            type == XS_SET_PERMS || type == XS_IS_DOMAIN_INTRODUCED || type == XS_RESUME || type == XS_SET_TARGET ||
            type == XS_RESET_WATCHES || type == XS_DIRECTORY_PART;
    }

    private static byte[] ok()
    {
        return new byte[]{'O', 'K', 0};
    }

    /** {@code do_write}: the path up to the first NUL, everything after it is the (binary) value. */
    private static byte[] write(final XsConnection c, final XsMessage m)
    {
        final byte[] p = m.payload();
        int nul = -1;
        for (int i = 0; i < p.length; i++)
        {
            if (p[i] == 0)
            {
                nul = i;
                break;
            }
        }
        if (nul < 0)
        {
            throw new XenStoreException(XsError.EINVAL, "WRITE without a NUL after the path");
        }
        final String path = new String(p, 0, nul, StandardCharsets.ISO_8859_1);
        c.write(m.txId(), path, Arrays.copyOfRange(p, nul + 1, p.length));
        return ok();
    }

    private static byte[] control(final XsConnection c, final XsMessage m)
    {
        final List<String> args = m.nulStrings();
        if (args.isEmpty())
        {
            throw new XenStoreException(XsError.EINVAL, "CONTROL without a command");
        }
        switch (args.get(0))
        {
            case "check":
                if (!c.store().check())
                {
                    throw new XenStoreException(XsError.EIO, "store inconsistent");
                }
                return ok();
            case "help":
                return XsMessage.nulTerminated(CONTROL_HELP);
            case "print":
                return ok();
            case "quota":
                return XsMessage.nulTerminated(c.store().quotas().toString() + "\n");
            default:
                throw new XenStoreException(XsError.EINVAL, "CONTROL " + args.get(0));
        }
    }

    private static String arg(final XsMessage m)
    {
        final String a = m.oneArg();
        if (null == a)
        {
            throw new XenStoreException(XsError.EINVAL, "expected one NUL-terminated argument");
        }
        return a;
    }

    private static List<String> args(final XsMessage m, final int count)
    {
        final List<String> args = m.nulStrings();
        if (args.size() != count)
        {
            throw new XenStoreException(XsError.EINVAL, "expected " + count + " arguments, got " + args.size());
        }
        return args;
    }

    private static int domid(final String s)
    {
        return XsPermissions.parseDomid(s, 0);
    }

    /** C {@code atoi}: leading digits, 0 when there are none (cxenstored parses DIRECTORY_PART's offset so). */
    private static int atoi(final String s)
    {
        long v = 0;
        for (int i = 0; i < s.length() && v <= Integer.MAX_VALUE; i++)
        {
            final char ch = s.charAt(i);
            if (ch < '0' || ch > '9')
            {
                break;
            }
            v = v * 10 + (ch - '0');
        }
        return (int)Math.min(v, Integer.MAX_VALUE);
    }
}
