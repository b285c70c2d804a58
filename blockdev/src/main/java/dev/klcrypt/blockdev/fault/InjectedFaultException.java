package dev.klcrypt.blockdev.fault;

import java.io.IOException;

/**
 * The cause inside the {@link dev.klcrypt.blockdev.BackingStoreIoException} that a {@link
 * FaultyBackingStore} throws for an injected error: it carries the errno the FUSE boundary must
 * report instead of the default EIO.
 */
public final class InjectedFaultException extends IOException {
  private static final long serialVersionUID = 1L;

  private final FaultErrno errno;
  private final long faultId;

  InjectedFaultException(FaultErrno errno, long faultId, String message) {
    super(message);
    this.errno = errno;
    this.faultId = faultId;
  }

  /** The errno to report. */
  public FaultErrno errno() {
    return errno;
  }

  /** The id of the armed fault that injected this error (0 for a powered-off store). */
  public long faultId() {
    return faultId;
  }
}
