package dev.klcrypt.keylocker.handle;

import java.util.Objects;

/**
 * A Key Locker key handle in the spec's layout: AAD (bytes 0-15), integrity tag (16-31), wrapped
 * key (32-47 for AES-128, 32-63 for AES-256). It carries no clear key: without the IWKey it was
 * made under it is useless.
 *
 * <p>Immutable. No {@code equals}/{@code hashCode} over the bytes; {@link #sameHandle} compares in
 * constant time. {@code toString()} shows only the key type and restrictions.
 */
public final class KeyHandle {
  private final byte[] bytes;
  private final KeyType declaredType;

  private KeyHandle(byte[] bytes, KeyType declaredType) {
    this.bytes = bytes;
    this.declaredType = declaredType;
  }

  /**
   * A handle from raw bytes (as software would load one from memory). 48 bytes mean an AES-128
   * handle, 64 bytes an AES-256 handle; the AAD is not checked here: the AES-KL instructions do
   * that, as the hardware does.
   */
  public static KeyHandle fromBytes(byte[] raw) {
    Objects.requireNonNull(raw, "raw");
    KeyType t =
        switch (raw.length) {
          case 48 -> KeyType.AES_128;
          case 64 -> KeyType.AES_256;
          default ->
              throw new IllegalArgumentException(
                  "a key handle is 48 (AES-128) or 64 (AES-256) bytes, not " + raw.length);
        };
    return new KeyHandle(raw.clone(), t);
  }

  /**
   * The size class of this handle (384 or 512 bits), which is what the instruction's memory operand
   * fixes.
   */
  public KeyType handleSize() {
    return declaredType;
  }

  /** The AAD's low 32 bits (restrictions, key type; the rest of the AAD must be zero). */
  public int aadLow32() {
    return (bytes[0] & 0xff)
        | (bytes[1] & 0xff) << 8
        | (bytes[2] & 0xff) << 16
        | (bytes[3] & 0xff) << 24;
  }

  /** The restriction bits as recorded in the AAD. */
  public Restrictions restrictions() {
    return Restrictions.fromBits(aadLow32() & 7);
  }

  /** The handle bytes (a copy). */
  public byte[] bytes(HandleBytesAccess access) {
    Objects.requireNonNull(access, "access");
    return bytes.clone();
  }

  /** Constant-time comparison of two handles' bytes. */
  public boolean sameHandle(KeyHandle other) {
    if (other.bytes.length != bytes.length) {
      return false;
    }
    int d = 0;
    for (int i = 0; i < bytes.length; i++) {
      d |= bytes[i] ^ other.bytes[i];
    }
    return d == 0;
  }

  @Override
  public String toString() {
    return "KeyHandle[" + declaredType + ", " + restrictions() + "]";
  }
}
