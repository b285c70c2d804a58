package dev.klcrypt.blockdev;

/**
 * A well-formed header uses something klcrypt does not implement (cipher, mode, hash, KDF,
 * requirement).
 */
public final class UnsupportedFormatException extends LuksException {
  private static final long serialVersionUID = 1L;

  public UnsupportedFormatException(String message) {
    super(message, null);
  }
}
