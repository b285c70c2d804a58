package dev.klcrypt.blockdev;

/** A request reaches beyond the end of the volume or has a negative offset (maps to EINVAL). */
public final class VolumeRangeException extends BlockDeviceException {
  private static final long serialVersionUID = 1L;

  public VolumeRangeException(long offset, long length, long size) {
    super(
        "request offset " + offset + " length " + length + " outside volume of " + size + " bytes",
        null);
  }
}
