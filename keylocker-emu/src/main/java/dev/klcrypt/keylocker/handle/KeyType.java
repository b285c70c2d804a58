package dev.klcrypt.keylocker.handle;

/** The key type recorded in a handle's AAD bits 27:24. */
public enum KeyType {
  AES_128(0, 16, 48),
  AES_256(1, 32, 64);

  private final int code;
  private final int keyBytes;
  private final int handleBytes;

  KeyType(int code, int keyBytes, int handleBytes) {
    this.code = code;
    this.keyBytes = keyBytes;
    this.handleBytes = handleBytes;
  }

  /** The 4-bit value stored in AAD[27:24]. */
  public int code() {
    return code;
  }

  public int keyBytes() {
    return keyBytes;
  }

  /** 48 bytes (384 bits) for AES-128, 64 bytes (512 bits) for AES-256. */
  public int handleBytes() {
    return handleBytes;
  }
}
