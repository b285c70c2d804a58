package dev.klcrypt.blockdev.luks2;

import dev.klcrypt.blockdev.UnsupportedFormatException;
import dev.klcrypt.blockdev.kdf.HashAlgorithm;
import dev.klcrypt.blockdev.kdf.KdfSpec;

/**
 * A LUKS2 keyslot (JSON {@code keyslots.<id>}). Fields other than type and area are meaningful only
 * for type {@code luks2}.
 *
 * @param priority 0 ignore, 1 normal, 2 high; -1 when absent (normal)
 */
public record Luks2Keyslot(
    int id,
    String type,
    int keySize,
    int priority,
    String afType,
    int stripes,
    String afHash,
    String areaType,
    long areaOffset,
    long areaSize,
    String areaEncryption,
    int areaKeySize,
    String kdfType,
    String kdfHash,
    int iterations,
    int time,
    int memory,
    int cpus,
    byte[] kdfSalt) {

  /** The keyslot's KDF as a concrete spec, or a refusal naming what is unsupported. */
  public KdfSpec kdfSpec() throws UnsupportedFormatException {
    switch (kdfType) {
      case "pbkdf2" -> {
        HashAlgorithm h =
            HashAlgorithm.byLuksName(kdfHash)
                .orElseThrow(
                    () ->
                        new UnsupportedFormatException(
                            "keyslot "
                                + id
                                + " uses PBKDF2 hash "
                                + kdfHash
                                + ", which klcrypt does not implement"));
        return new KdfSpec(KdfSpec.Type.PBKDF2, h, iterations, 0, 0, 0, 0);
      }
      case "argon2i" -> {
        return new KdfSpec(KdfSpec.Type.ARGON2I, HashAlgorithm.SHA256, 0, memory, time, cpus, 0);
      }
      case "argon2id" -> {
        return new KdfSpec(KdfSpec.Type.ARGON2ID, HashAlgorithm.SHA256, 0, memory, time, cpus, 0);
      }
      default ->
          throw new UnsupportedFormatException(
              "keyslot " + id + " uses KDF " + kdfType + ", which klcrypt does not implement");
    }
  }

  /** The AF hash, or a refusal naming it. */
  public HashAlgorithm afHashAlgorithm() throws UnsupportedFormatException {
    return HashAlgorithm.byLuksName(afHash)
        .orElseThrow(
            () ->
                new UnsupportedFormatException(
                    "keyslot "
                        + id
                        + " uses AF hash "
                        + afHash
                        + ", which klcrypt does not implement"));
  }

  public int effectivePriority() {
    return priority < 0 ? 1 : priority;
  }

  @Override
  public String toString() {
    return "Luks2Keyslot["
        + id
        + ", "
        + type
        + ", "
        + kdfType
        + ", area "
        + areaOffset
        + "+"
        + areaSize
        + "]";
  }
}
