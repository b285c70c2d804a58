package dev.klcrypt.blockdev;

/**
 * A LUKS header or keyslot operation was refused. Checked: the caller decides what to tell the
 * user. Messages name fields, offsets and limits, never key or passphrase bytes.
 */
public abstract sealed class LuksException extends Exception
    permits WrongPassphraseException,
        HeaderFormatException,
        UnsupportedFormatException,
        KdfMemoryLimitException {
  private static final long serialVersionUID = 1L;

  LuksException(String message, Throwable cause) {
    super(message, cause);
  }
}
