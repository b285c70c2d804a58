package dev.klcrypt.blockdev.luks2;

import dev.klcrypt.blockdev.HeaderFormatException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The 4096-byte binary part of one LUKS2 header copy, as stored (big-endian). Converted to and from
 * bytes only here.
 */
record Luks2BinaryHeader(
    boolean primary,
    int version,
    long hdrSize,
    long seqid,
    String label,
    String checksumAlg,
    byte[] salt,
    String uuid,
    String subsystem,
    long hdrOffset,
    byte[] csum) {

  static final int BINARY_BYTES = 4096;
  static final byte[] MAGIC_PRIMARY = {'L', 'U', 'K', 'S', (byte) 0xBA, (byte) 0xBE};
  static final byte[] MAGIC_SECONDARY = {'S', 'K', 'U', 'L', (byte) 0xBA, (byte) 0xBE};
  static final int CSUM_OFFSET = 448;
  static final int CSUM_BYTES = 64;
  static final long[] VALID_HDR_SIZES = {
    16384, 32768, 65536, 131072, 262144, 524288, 1048576, 2097152, 4194304
  };

  static boolean validHdrSize(long s) {
    for (long v : VALID_HDR_SIZES) {
      if (v == s) {
        return true;
      }
    }
    return false;
  }

  /**
   * Decodes a binary header read at {@code at}.
   *
   * @param expectPrimary which magic is required
   */
  static Luks2BinaryHeader decode(byte[] bytes, long at, boolean expectPrimary)
      throws HeaderFormatException {
    if (bytes.length < BINARY_BYTES) {
      throw new HeaderFormatException(
          at, "binary header", "truncated: " + bytes.length + " of 4096 bytes");
    }
    ByteBuffer b = ByteBuffer.wrap(bytes);
    byte[] want = expectPrimary ? MAGIC_PRIMARY : MAGIC_SECONDARY;
    if (!Arrays.equals(bytes, 0, 6, want, 0, 6)) {
      throw new HeaderFormatException(
          at, "magic", "no " + (expectPrimary ? "primary" : "secondary") + " LUKS2 magic");
    }
    int version = Short.toUnsignedInt(b.getShort(6));
    if (version != 2) {
      throw new HeaderFormatException(at + 6, "version", "expected 2, found " + version);
    }
    long hdrSize = b.getLong(8);
    if (!validHdrSize(hdrSize)) {
      throw new HeaderFormatException(
          at + 8,
          "hdr_size",
          "must be 16 KiB .. 4 MiB, a power of two; found " + Long.toUnsignedString(hdrSize));
    }
    long seqid = b.getLong(16);
    String label = text(bytes, 24, 48, at, "label");
    String csumAlg = text(bytes, 72, 32, at, "checksum_alg");
    byte[] salt = Arrays.copyOfRange(bytes, 104, 168);
    String uuid = text(bytes, 168, 40, at, "uuid");
    String subsystem = text(bytes, 208, 48, at, "subsystem");
    long hdrOffset = b.getLong(256);
    if (hdrOffset != at) {
      throw new HeaderFormatException(
          at + 256,
          "hdr_offset",
          "says " + Long.toUnsignedString(hdrOffset) + " but the header was read at " + at);
    }
    byte[] csum = Arrays.copyOfRange(bytes, CSUM_OFFSET, CSUM_OFFSET + CSUM_BYTES);
    return new Luks2BinaryHeader(
        expectPrimary,
        version,
        hdrSize,
        seqid,
        label,
        csumAlg,
        salt,
        uuid,
        subsystem,
        hdrOffset,
        csum);
  }

  /**
   * Encodes with the given checksum bytes (zero-padded to 64), or a zero checksum if {@code csum}
   * is null.
   */
  byte[] encode(byte[] csumOrNull) {
    ByteBuffer b = ByteBuffer.allocate(BINARY_BYTES);
    b.put(primary ? MAGIC_PRIMARY : MAGIC_SECONDARY);
    b.putShort((short) version);
    b.putLong(8, hdrSize);
    b.putLong(16, seqid);
    put(b, 24, 48, label, "label");
    put(b, 72, 32, checksumAlg, "checksum_alg");
    b.put(104, salt, 0, 64);
    put(b, 168, 40, uuid, "uuid");
    put(b, 208, 48, subsystem, "subsystem");
    b.putLong(256, hdrOffset);
    if (csumOrNull != null) {
      b.put(CSUM_OFFSET, csumOrNull, 0, Math.min(CSUM_BYTES, csumOrNull.length));
    }
    return b.array();
  }

  private static String text(byte[] bytes, int off, int len, long at, String field)
      throws HeaderFormatException {
    int end = off;
    while (end < off + len && bytes[end] != 0) {
      end++;
    }
    if (end == off + len) {
      throw new HeaderFormatException(
          at + off, field, "not NUL-terminated within " + len + " bytes");
    }
    return new String(bytes, off, end - off, StandardCharsets.UTF_8);
  }

  private static void put(ByteBuffer b, int off, int len, String s, String field) {
    byte[] v = s.getBytes(StandardCharsets.UTF_8);
    if (v.length >= len) {
      throw new IllegalArgumentException(field + " longer than " + (len - 1) + " bytes");
    }
    b.put(off, v);
  }

  @Override
  public String toString() {
    return "Luks2BinaryHeader["
        + (primary ? "primary" : "secondary")
        + ", seqid "
        + seqid
        + ", hdr_size "
        + hdrSize
        + "]";
  }
}
