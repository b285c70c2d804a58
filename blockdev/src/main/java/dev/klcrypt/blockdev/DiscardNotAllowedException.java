package dev.klcrypt.blockdev;

/** Discard was requested on a volume opened without allow-discards (maps to EOPNOTSUPP). */
public final class DiscardNotAllowedException extends BlockDeviceException {
  private static final long serialVersionUID = 1L;

  public DiscardNotAllowedException() {
    super(
        "discards are not allowed on this volume (open with allowDiscards or set the allow-discards flag)",
        null);
  }
}
