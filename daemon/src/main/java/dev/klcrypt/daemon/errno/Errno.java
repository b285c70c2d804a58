package dev.klcrypt.daemon.errno;

/**
 * The Linux errno values klcrypt reports, at the FUSE boundary (negated) and in control-plane
 * replies. Linux numbers are fixed by the kernel ABI, so they are spelled out here instead of
 * looked up at run time.
 */
public enum Errno {
  OK(0),
  EPERM(1),
  ENOENT(2),
  EIO(5),
  ENXIO(6),
  EBADF(9),
  ENOMEM(12),
  EACCES(13),
  EBUSY(16),
  EEXIST(17),
  ENODEV(19),
  ENOTDIR(20),
  EISDIR(21),
  EINVAL(22),
  EFBIG(27),
  ENOSPC(28),
  EROFS(30),
  ENAMETOOLONG(36),
  ENOSYS(38),
  EPROTO(71),
  EMSGSIZE(90),
  EOPNOTSUPP(95),
  ETIMEDOUT(110);

  private final int code;

  Errno(int code) {
    this.code = code;
  }

  /** The constant for a positive errno number; EIO for numbers this enum does not name. */
  public static Errno fromCode(int code) {
    for (Errno e : values()) {
      if (e.code == code) {
        return e;
      }
    }
    return EIO;
  }

  /** The positive errno number. */
  public int code() {
    return code;
  }
}
