package dev.klcrypt.blockdev;

/** A request on a volume that has been closed (maps to ENODEV). */
public final class VolumeClosedException extends BlockDeviceException {
  private static final long serialVersionUID = 1L;

  public VolumeClosedException(String operation) {
    super(operation + " refused: volume is closed", null);
  }
}
