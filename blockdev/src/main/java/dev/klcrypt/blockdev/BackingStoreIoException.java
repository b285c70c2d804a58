package dev.klcrypt.blockdev;

import java.io.IOException;

/** The backing file failed an I/O operation (maps to EIO). */
public final class BackingStoreIoException extends BlockDeviceException {
  private static final long serialVersionUID = 1L;

  public BackingStoreIoException(String message, IOException cause) {
    super(message, cause);
  }

  public BackingStoreIoException(String message) {
    super(message, null);
  }
}
