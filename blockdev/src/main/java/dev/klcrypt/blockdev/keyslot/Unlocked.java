package dev.klcrypt.blockdev.keyslot;

import dev.klcrypt.keylocker.memory.ClearKey;

/**
 * The result of a successful keyslot unlock: which keyslot opened and the verified volume key,
 * which the caller must close as soon as it has been turned into key handles.
 */
public record Unlocked(int keyslot, ClearKey volumeKey) implements AutoCloseable {
  @Override
  public void close() {
    volumeKey.close();
  }

  @Override
  public String toString() {
    return "Unlocked[keyslot " + keyslot + "]";
  }
}
