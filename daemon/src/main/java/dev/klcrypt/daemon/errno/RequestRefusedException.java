package dev.klcrypt.daemon.errno;

/**
 * A request the daemon itself refuses (no such volume, name taken, volume busy, a size change on a
 * volume file, a malformed control request): the errno is part of the refusal. Errors raised by the
 * volume stack are mapped by {@link ErrnoMapping} instead.
 */
public final class RequestRefusedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final Errno errno;

  public RequestRefusedException(Errno errno, String reason) {
    super(reason);
    this.errno = errno;
  }

  public Errno errno() {
    return errno;
  }
}
