package io.pvring.xenstore;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A node's permissions as Xen keeps them ({@code struct xs_permissions[]}): the first entry names the owner and
 * the access every domain not listed gets; later entries grant a specific domain {@code r}, {@code w}, {@code b}
 * (both) or {@code n} (none). The owner and privileged domains (dom0) always have full access. Written as
 * {@code "r0"}, {@code "b5"} on the wire. Immutable.
 */
public final class XsPermissions
{
    public static final int PERM_NONE = 0;
    public static final int PERM_READ = 1;
    public static final int PERM_WRITE = 2;
    public static final int PERM_BOTH = PERM_READ | PERM_WRITE;
    /** Internal: the caller must own the node (or be privileged); never stored or sent. */
    static final int PERM_OWNER = 4;

    private static final int MAX_DOMID = 0xFFFF;

    private final int[] domids;
    private final int[] perms;

    private XsPermissions(final int[] domids, final int[] perms)
    {
        this.domids = domids;
        this.perms = perms;
    }

    /** Owner {@code owner}, everybody else gets {@code others}. */
    public static XsPermissions of(final int owner, final int others)
    {
        checkEntry(owner, others);
        return new XsPermissions(new int[]{owner}, new int[]{others});
    }

    /** This list with {@code domid} granted {@code perm} (replacing an existing entry for that domain). */
    public XsPermissions with(final int domid, final int perm)
    {
        checkEntry(domid, perm);
        for (int i = 1; i < domids.length; i++)
        {
            if (domids[i] == domid)
            {
                final int[] p = perms.clone();
                p[i] = perm;
                return new XsPermissions(domids, p);
            }
        }
        final int[] d = Arrays.copyOf(domids, domids.length + 1);
        final int[] p = Arrays.copyOf(perms, perms.length + 1);
        d[domids.length] = domid;
        p[perms.length] = perm;
        return new XsPermissions(d, p);
    }

    /** The same entries with a different owner, as unprivileged creators get for nodes they create. */
    XsPermissions withOwner(final int owner)
    {
        if (domids[0] == owner)
        {
            return this;
        }
        final int[] d = domids.clone();
        d[0] = owner;
        return new XsPermissions(d, perms);
    }

    /**
     * Parses the wire strings ({@code xenstore_strings_to_perms}): a letter of {@code nrwb} then a decimal domid.
     *
     * @throws XenStoreException EINVAL on anything else.
     */
    public static XsPermissions parse(final List<String> strings)
    {
        if (strings.isEmpty())
        {
            throw new XenStoreException(XsError.EINVAL, "no permissions");
        }
        final int[] d = new int[strings.size()];
        final int[] p = new int[strings.size()];
        for (int i = 0; i < d.length; i++)
        {
            final String s = strings.get(i);
            if (s.length() < 2 || s.length() > 6)
            {
                throw new XenStoreException(XsError.EINVAL, "permission=" + s);
            }
            p[i] = letterToPerm(s.charAt(0));
            d[i] = parseDomid(s, 1);
        }
        return new XsPermissions(d, p);
    }

    /** Parses wire permission strings such as {@code "n0", "r5"}. */
    public static XsPermissions parse(final String... strings)
    {
        return parse(Arrays.asList(strings));
    }

    public int size()
    {
        return domids.length;
    }

    public int owner()
    {
        return domids[0];
    }

    public int domid(final int index)
    {
        return domids[index];
    }

    public int perm(final int index)
    {
        return perms[index];
    }

    /** {@code perm_for_conn} for an unprivileged, non-owner domain: its entry, else the default. */
    int listedPermFor(final int domid)
    {
        for (int i = 1; i < domids.length; i++)
        {
            if (domids[i] == domid)
            {
                return perms[i];
            }
        }
        return perms[0];
    }

    /** The wire strings, in order. */
    public List<String> toStrings()
    {
        final List<String> out = new ArrayList<>(domids.length);
        for (int i = 0; i < domids.length; i++)
        {
            out.add(permToLetter(perms[i]) + Integer.toString(domids[i]));
        }
        return out;
    }

    @Override
    public boolean equals(final Object o)
    {
        return o instanceof XsPermissions && Arrays.equals(domids, ((XsPermissions)o).domids) &&
            Arrays.equals(perms, ((XsPermissions)o).perms);
    }

    @Override
    public int hashCode()
    {
        return 31 * Arrays.hashCode(domids) + Arrays.hashCode(perms);
    }

    @Override
    public String toString()
    {
        return String.join(" ", toStrings());
    }

    static int parseDomid(final String s, final int from)
    {
        if (from >= s.length() || s.length() - from > 5)
        {
            throw new XenStoreException(XsError.EINVAL, "domid=" + s);
        }
        int v = 0;
        for (int i = from; i < s.length(); i++)
        {
            final char c = s.charAt(i);
            if (c < '0' || c > '9')
            {
                throw new XenStoreException(XsError.EINVAL, "domid=" + s);
            }
            v = v * 10 + (c - '0');
        }
        if (v > MAX_DOMID)
        {
            throw new XenStoreException(XsError.EINVAL, "domid=" + s);
        }
        return v;
    }

    private static int letterToPerm(final char c)
    {
        switch (c)
        {
            case 'n': return PERM_NONE;
            case 'r': return PERM_READ;
            case 'w': return PERM_WRITE;
            case 'b': return PERM_BOTH;
            default: throw new XenStoreException(XsError.EINVAL, "permission letter=" + c);
        }
    }

    private static char permToLetter(final int perm)
    {
        switch (perm)
        {
            case PERM_READ: return 'r';
            case PERM_WRITE: return 'w';
            case PERM_BOTH: return 'b';
            default: return 'n';
        }
    }

    private static void checkEntry(final int domid, final int perm)
    {
        if (domid < 0 || domid > MAX_DOMID || perm < PERM_NONE || perm > PERM_BOTH)
        {
            throw new IllegalArgumentException("domid=" + domid + " perm=" + perm);
        }
    }
}
