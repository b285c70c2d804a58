package dev.klcrypt.blockdev.fault;

/**
 * The errno values an injected error may carry (an allow-list, like nbdkit's error filter). Numbers
 * are the Linux ABI values; the FUSE boundary reports {@code -number()}.
 */
public enum FaultErrno {
  /** Input/output error: a failed sector. */
  EIO(5),
  /** No such device or address: the device went away. */
  ENXIO(6),
  /** No space left on device: a thin pool ran out. */
  ENOSPC(28),
  /** Read-only file system: the device turned read-only. */
  EROFS(30),
  /** Connection timed out: a network disk stopped answering. */
  ETIMEDOUT(110);

  private final int number;

  FaultErrno(int number) {
    this.number = number;
  }

  /** The positive Linux errno number. */
  public int number() {
    return number;
  }
}
