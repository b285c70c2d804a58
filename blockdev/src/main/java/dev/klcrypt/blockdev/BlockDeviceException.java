package dev.klcrypt.blockdev;

/**
 * A failed block-level request on an open volume. Unchecked: these are the failures the FUSE layer
 * maps to an errno in one place (backing I/O → EIO, range → EINVAL, discard → EOPNOTSUPP, read-only
 * → EROFS, closed → ENODEV). Messages name offsets and lengths, never data.
 */
public abstract sealed class BlockDeviceException extends RuntimeException
    permits BackingStoreIoException,
        VolumeRangeException,
        DiscardNotAllowedException,
        ReadOnlyVolumeException,
        VolumeClosedException {
  private static final long serialVersionUID = 1L;

  BlockDeviceException(String message, Throwable cause) {
    super(message, cause);
  }
}
