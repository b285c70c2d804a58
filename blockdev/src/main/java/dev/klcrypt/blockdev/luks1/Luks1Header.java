package dev.klcrypt.blockdev.luks1;

import java.util.List;

/**
 * A LUKS1 partition header (592 bytes at offset 0). Integers are big-endian on disk; see {@link
 * Luks1HeaderCodec}.
 *
 * @param payloadOffset data start in 512-byte sectors
 * @param keyBytes master key length
 */
public record Luks1Header(
    String cipherName,
    String cipherMode,
    String hashSpec,
    int payloadOffset,
    int keyBytes,
    byte[] mkDigest,
    byte[] mkDigestSalt,
    int mkDigestIterations,
    String uuid,
    List<Luks1Keyslot> keyslots) {

  public static final int SLOTS = 8;
  public static final int STRIPES = 4000;

  public Luks1Header {
    keyslots = List.copyOf(keyslots);
  }

  public Luks1Header withKeyslot(Luks1Keyslot slot) {
    var list = new java.util.ArrayList<>(keyslots);
    list.set(slot.index(), slot);
    return new Luks1Header(
        cipherName,
        cipherMode,
        hashSpec,
        payloadOffset,
        keyBytes,
        mkDigest,
        mkDigestSalt,
        mkDigestIterations,
        uuid,
        list);
  }

  public long dataOffsetBytes() {
    return payloadOffset * 512L;
  }

  @Override
  public String toString() {
    return "Luks1Header["
        + cipherName
        + "-"
        + cipherMode
        + ", "
        + hashSpec
        + ", uuid "
        + uuid
        + "]";
  }
}
