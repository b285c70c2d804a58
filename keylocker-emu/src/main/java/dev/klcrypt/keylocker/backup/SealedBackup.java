package dev.klcrypt.keylocker.backup;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The on-disk record of a sealed IWKey backup (no clear key: the IWKey is SIV-encrypted under the
 * platform's sealing key, and the header is the associated data).
 *
 * <pre>
 * off len field
 *   0   8 magic "KLIWBAK\0"
 *   8   2 version (1), big-endian
 *  10   2 reserved (0)
 *  12  16 platform instance id
 *  28   8 boot number
 *  36   8 backup sequence number (this boot)
 *  44   4 flags: bit 0 NoBackup, bits 4:1 KeySource
 *  48  16 SIV tag
 *  64  48 sealed IWKey (integrity key 16 || encryption key 32)
 * </pre>
 */
public record SealedBackup(
    byte[] platformId, long bootNumber, long sequence, int flags, byte[] tag, byte[] sealedKey) {
  public static final int HEADER_BYTES = 48;
  public static final int TOTAL_BYTES = 112;
  static final byte[] MAGIC = "KLIWBAK\0".getBytes(StandardCharsets.US_ASCII);
  static final int VERSION = 1;

  public SealedBackup {
    if (platformId.length != 16 || tag.length != 16 || sealedKey.length != 48) {
      throw new IllegalArgumentException("sealed backup fields have wrong sizes");
    }
    platformId = platformId.clone();
    tag = tag.clone();
    sealedKey = sealedKey.clone();
  }

  /** The authenticated header (the SIV associated data). */
  public static byte[] header(byte[] platformId, long bootNumber, long sequence, int flags) {
    ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.BIG_ENDIAN);
    b.put(MAGIC).putShort((short) VERSION).putShort((short) 0).put(platformId);
    b.putLong(bootNumber).putLong(sequence).putInt(flags);
    return b.array();
  }

  public byte[] header() {
    return header(platformId, bootNumber, sequence, flags);
  }

  @Override
  public byte[] platformId() {
    return platformId.clone();
  }

  @Override
  public byte[] tag() {
    return tag.clone();
  }

  @Override
  public byte[] sealedKey() {
    return sealedKey.clone();
  }

  byte[] encode() {
    return ByteBuffer.allocate(TOTAL_BYTES).put(header()).put(tag).put(sealedKey).array();
  }

  @Override
  public String toString() {
    return "SealedBackup[boot " + bootNumber + ", sequence " + sequence + "]";
  }
}
