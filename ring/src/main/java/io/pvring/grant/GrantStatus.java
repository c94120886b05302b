package io.pvring.grant;

/**
 * {@code GNTST_*} status codes of {@code xen/include/public/grant_table.h}. Grant operations return these as
 * values (negative = failure), never as exceptions, because their cause is guest input.
 */
public final class GrantStatus
{
    public static final int GNTST_OKAY = 0;
    public static final int GNTST_GENERAL_ERROR = -1;
    public static final int GNTST_BAD_DOMAIN = -2;
    public static final int GNTST_BAD_GNTREF = -3;
    public static final int GNTST_BAD_HANDLE = -4;
    public static final int GNTST_BAD_VIRT_ADDR = -5;
    public static final int GNTST_BAD_DEV_ADDR = -6;
    public static final int GNTST_NO_DEVICE_SPACE = -7;
    public static final int GNTST_PERMISSION_DENIED = -8;
    public static final int GNTST_BAD_PAGE = -9;
    public static final int GNTST_BAD_COPY_ARG = -10;
    public static final int GNTST_ADDRESS_TOO_BIG = -11;
    public static final int GNTST_EAGAIN = -12;
    public static final int GNTST_NO_SPACE = -13;

    private GrantStatus()
    {
    }

    /** {@code GNTTABOP_error_msgs}, for logs and disconnect reasons. */
    public static String describe(final int status)
    {
        switch (status)
        {
            case GNTST_OKAY: return "okay";
            case GNTST_GENERAL_ERROR: return "undefined error";
            case GNTST_BAD_DOMAIN: return "unrecognised domain id";
            case GNTST_BAD_GNTREF: return "invalid grant reference";
            case GNTST_BAD_HANDLE: return "invalid mapping handle";
            case GNTST_BAD_VIRT_ADDR: return "invalid virtual address";
            case GNTST_BAD_DEV_ADDR: return "invalid device address";
            case GNTST_NO_DEVICE_SPACE: return "no spare translation slot in the I/O MMU";
            case GNTST_PERMISSION_DENIED: return "permission denied";
            case GNTST_BAD_PAGE: return "bad page";
            case GNTST_BAD_COPY_ARG: return "copy arguments cross page boundary";
            case GNTST_ADDRESS_TOO_BIG: return "page address size too large";
            case GNTST_EAGAIN: return "operation not done; try again";
            case GNTST_NO_SPACE: return "out of space";
            default: return "unknown status " + status;
        }
    }
}
