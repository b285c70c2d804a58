package dev.klcrypt.blockdev;

import dev.klcrypt.blockdev.kdf.KdfSpec;
import java.util.Objects;

/**
 * What {@link LuksImage#format} creates. The cipher is always aes-xts-plain64.
 *
 * @param sectorSize 512 or 4096; 0 = 4096 when the data area is a multiple of 4096 bytes, else 512
 *     (LUKS1: 512)
 * @param keyBits 256 or 512 (XTS: AES-128 or AES-256)
 * @param label LUKS2 label ("" = none)
 * @param subsystem LUKS2 subsystem ("" = none)
 * @param uuid null = random
 * @param allowDiscards LUKS2 persistent {@code allow-discards} flag
 */
public record FormatSpec(
    LuksType type,
    KdfSpec kdf,
    int sectorSize,
    int keyBits,
    String label,
    String subsystem,
    String uuid,
    boolean allowDiscards) {

  public FormatSpec {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(kdf, "kdf");
    Objects.requireNonNull(label, "label");
    Objects.requireNonNull(subsystem, "subsystem");
    if (sectorSize != 0 && sectorSize != 512 && sectorSize != 4096) {
      throw new IllegalArgumentException("sector size must be 512 or 4096, not " + sectorSize);
    }
    if (keyBits != 256 && keyBits != 512) {
      throw new IllegalArgumentException(
          "aes-xts-plain64 key must be 256 or 512 bits, not " + keyBits);
    }
  }

  /** LUKS2, argon2id with cryptsetup's default costs, 512-bit key, sector size auto. */
  public static FormatSpec defaults() {
    return new FormatSpec(LuksType.LUKS2, KdfSpec.defaults(), 0, 512, "", "", null, false);
  }

  /**
   * Switches the type; LUKS1 with the default Argon2 KDF becomes PBKDF2-SHA256 timed to 2 s (as
   * cryptsetup).
   */
  public FormatSpec withType(LuksType t) {
    KdfSpec k = kdf;
    if (t == LuksType.LUKS1 && kdf.equals(KdfSpec.defaults())) {
      k = KdfSpec.pbkdf2Timed(dev.klcrypt.blockdev.kdf.HashAlgorithm.SHA256, 2000);
    }
    return new FormatSpec(t, k, sectorSize, keyBits, label, subsystem, uuid, allowDiscards);
  }

  public FormatSpec withKdf(KdfSpec k) {
    return new FormatSpec(type, k, sectorSize, keyBits, label, subsystem, uuid, allowDiscards);
  }

  public FormatSpec withSectorSize(int s) {
    return new FormatSpec(type, kdf, s, keyBits, label, subsystem, uuid, allowDiscards);
  }

  public FormatSpec withKeyBits(int bits) {
    return new FormatSpec(type, kdf, sectorSize, bits, label, subsystem, uuid, allowDiscards);
  }

  public FormatSpec withLabel(String l) {
    return new FormatSpec(type, kdf, sectorSize, keyBits, l, subsystem, uuid, allowDiscards);
  }

  public FormatSpec withSubsystem(String s) {
    return new FormatSpec(type, kdf, sectorSize, keyBits, label, s, uuid, allowDiscards);
  }

  public FormatSpec withUuid(String u) {
    return new FormatSpec(type, kdf, sectorSize, keyBits, label, subsystem, u, allowDiscards);
  }

  public FormatSpec withAllowDiscards(boolean on) {
    return new FormatSpec(type, kdf, sectorSize, keyBits, label, subsystem, uuid, on);
  }
}
