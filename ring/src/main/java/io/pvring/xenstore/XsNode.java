package io.pvring.xenstore;

import java.util.ArrayList;
import java.util.List;

/**
 * One node of the tree: value, permissions, child names in creation order, and the generation count of its last
 * write (cxenstored's {@code node->generation}). Immutable: a transaction holds private copies, the store
 * replaces nodes whole.
 */
final class XsNode
{
    static final byte[] EMPTY = new byte[0];

    final byte[] value;
    final XsPermissions perms;
    final List<String> children;
    final long generation;

    XsNode(final byte[] value, final XsPermissions perms, final List<String> children, final long generation)
    {
        this.value = value;
        this.perms = perms;
        this.children = children;
        this.generation = generation;
    }

    XsNode withValue(final byte[] newValue)
    {
        return new XsNode(newValue, perms, children, generation);
    }

    XsNode withPerms(final XsPermissions newPerms)
    {
        return new XsNode(value, newPerms, children, generation);
    }

    XsNode withGeneration(final long newGeneration)
    {
        return new XsNode(value, perms, children, newGeneration);
    }

    XsNode withChild(final String name)
    {
        final List<String> c = new ArrayList<>(children.size() + 1);
        c.addAll(children);
        c.add(name);
        return new XsNode(value, perms, List.copyOf(c), generation);
    }

    XsNode withoutChild(final String name)
    {
        final List<String> c = new ArrayList<>(children);
        c.remove(name);
        return new XsNode(value, perms, List.copyOf(c), generation);
    }

    /** cxenstored's node size: what a quota on node size counts (value plus the NUL-separated child list). */
    int accountedBytes()
    {
        int n = value.length;
        for (final String child : children)
        {
            n += child.length() + 1;
        }
        return n;
    }
}
