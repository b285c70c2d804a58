package dev.klcrypt.blockdev;

/** A write or discard on a volume opened read-only (maps to EROFS). */
public final class ReadOnlyVolumeException extends BlockDeviceException {
  private static final long serialVersionUID = 1L;

  public ReadOnlyVolumeException(String operation) {
    super(operation + " refused: volume is open read-only", null);
  }
}
