package dev.klcrypt.blockdev.keyslot;

import dev.klcrypt.blockdev.UnsupportedFormatException;
import java.util.Locale;

/**
 * The keyslot and data ciphers klcrypt implements: aes-xts-plain64 with a 256- or 512-bit key (K1
 * || K2).
 */
public final class KeyslotCipher {
  public static final String AES_XTS_PLAIN64 = "aes-xts-plain64";

  private KeyslotCipher() {}

  /**
   * Refuses anything but aes-xts-plain64 with 32- or 64-byte keys, naming what was found.
   *
   * @param what e.g. "keyslot 0 area" or "segment 0"
   */
  public static void requireSupported(String what, String encryption, int keyBytes)
      throws UnsupportedFormatException {
    String enc = encryption == null ? "(none)" : encryption.toLowerCase(Locale.ROOT);
    if (!enc.equals(AES_XTS_PLAIN64)) {
      throw new UnsupportedFormatException(
          what + " uses cipher " + encryption + "; klcrypt supports only " + AES_XTS_PLAIN64);
    }
    if (keyBytes != 32 && keyBytes != 64) {
      throw new UnsupportedFormatException(
          what + " uses a " + (keyBytes * 8) + "-bit key; aes-xts-plain64 needs 256 or 512 bits");
    }
  }

  /** LUKS1 spells the cipher as name + mode. */
  public static String luks1Spec(String cipherName, String cipherMode) {
    return cipherName + "-" + cipherMode;
  }
}
