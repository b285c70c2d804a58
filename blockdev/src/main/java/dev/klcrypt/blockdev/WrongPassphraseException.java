package dev.klcrypt.blockdev;

/** No active keyslot opens with the given passphrase (or the named keyslot does not). */
public final class WrongPassphraseException extends LuksException {
  private static final long serialVersionUID = 1L;

  public WrongPassphraseException(String message) {
    super(message, null);
  }
}
