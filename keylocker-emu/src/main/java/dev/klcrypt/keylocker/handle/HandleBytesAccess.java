package dev.klcrypt.keylocker.handle;

/**
 * The token that unlocks {@link KeyHandle#bytes(HandleBytesAccess)}. Handle bytes are wrapped
 * (never a clear key), but they are still the only way to use a key, so every place that reads them
 * names this class and one grep finds them all (the Tink {@code SecretKeyAccess} pattern).
 */
public final class HandleBytesAccess {
  private static final HandleBytesAccess INSTANCE = new HandleBytesAccess();

  private HandleBytesAccess() {}

  public static HandleBytesAccess get() {
    return INSTANCE;
  }
}
