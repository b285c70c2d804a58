package dev.klcrypt.keylocker.cpu;

/**
 * Key Locker cannot be used: it was soft-disabled after a failed IWKey restore (until the next
 * emulated reboot), or the CPU has none. The daemon maps this to ENODEV.
 */
public final class KeyLockerUnavailableException extends KeyLockerException {
  private static final long serialVersionUID = 1L;

  public KeyLockerUnavailableException(String message) {
    super(message);
  }
}
