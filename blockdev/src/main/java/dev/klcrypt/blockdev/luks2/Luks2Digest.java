package dev.klcrypt.blockdev.luks2;

import java.util.List;

/** A LUKS2 volume-key digest (JSON {@code digests.<id>}). */
public record Luks2Digest(
    int id,
    String type,
    List<Integer> keyslots,
    List<Integer> segments,
    String hash,
    int iterations,
    byte[] salt,
    byte[] digest) {
  public Luks2Digest {
    keyslots = List.copyOf(keyslots);
    segments = List.copyOf(segments);
  }

  @Override
  public String toString() {
    return "Luks2Digest[" + id + ", " + type + ", keyslots " + keyslots + "]";
  }
}
