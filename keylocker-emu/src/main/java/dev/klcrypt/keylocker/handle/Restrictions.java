package dev.klcrypt.keylocker.handle;

/**
 * The restriction bits ENCODEKEY copies into a handle's AAD: bit 0 CPL0-only, bit 1 no-encrypt, bit
 * 2 no-decrypt.
 */
public record Restrictions(boolean cpl0Only, boolean noEncrypt, boolean noDecrypt) {
  public static final Restrictions NONE = new Restrictions(false, false, false);

  /** The kernel's choice for XTS keys (ENCODEKEY with EAX=1). */
  public static final Restrictions CPL0_ONLY = new Restrictions(true, false, false);

  /** The three low bits, as ENCODEKEY's source operand carries them. */
  public int bits() {
    return (cpl0Only ? 1 : 0) | (noEncrypt ? 2 : 0) | (noDecrypt ? 4 : 0);
  }

  public static Restrictions fromBits(int bits) {
    return new Restrictions((bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0);
  }
}
