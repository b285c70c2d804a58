package dev.klcrypt.blockdev.luks1;

import dev.klcrypt.blockdev.HeaderFormatException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The one place where LUKS1 header bytes and {@link Luks1Header} are converted. Parsing checks
 * every field before anything is allocated from it, with qemu's rules (stripes 4000, slots inside
 * the header area, no overlaps, non-zero iterations), so headers we write are accepted by qemu and
 * nbdkit.
 */
public final class Luks1HeaderCodec {
  public static final int HEADER_BYTES = 592;
  static final byte[] MAGIC = {'L', 'U', 'K', 'S', (byte) 0xBA, (byte) 0xBE};
  private static final int MAX_KEY_BYTES = 128;

  private Luks1HeaderCodec() {}

  /** Whether {@code b} starts with the LUKS magic and version 1. */
  public static boolean looksLikeLuks1(byte[] b) {
    return b.length >= 8 && Arrays.equals(b, 0, 6, MAGIC, 0, 6) && b[6] == 0 && b[7] == 1;
  }

  /**
   * Parses and validates a header.
   *
   * @param bytes at least {@link #HEADER_BYTES} bytes from offset 0
   * @param imageSize the image's size, to check the payload offset (≤ 0: skip that check)
   */
  public static Luks1Header parse(byte[] bytes, long imageSize) throws HeaderFormatException {
    if (bytes.length < HEADER_BYTES) {
      throw new HeaderFormatException(
          0, "phdr", "truncated: " + bytes.length + " bytes, a LUKS1 header needs " + HEADER_BYTES);
    }
    ByteBuffer b = ByteBuffer.wrap(bytes);
    if (!Arrays.equals(bytes, 0, 6, MAGIC, 0, 6)) {
      throw new HeaderFormatException(0, "magic", "not a LUKS header");
    }
    int version = Short.toUnsignedInt(b.getShort(6));
    if (version != 1) {
      throw new HeaderFormatException(6, "version", "expected 1, found " + version);
    }
    String cipherName = string(bytes, 8, 32, "cipher-name");
    String cipherMode = string(bytes, 40, 32, "cipher-mode");
    String hashSpec = string(bytes, 72, 32, "hash-spec").toLowerCase(java.util.Locale.ROOT);
    int payload = b.getInt(104);
    int keyBytes = b.getInt(108);
    byte[] mkDigest = Arrays.copyOfRange(bytes, 112, 132);
    byte[] mkSalt = Arrays.copyOfRange(bytes, 132, 164);
    int mkIter = b.getInt(164);
    String uuid = string(bytes, 168, 40, "uuid");
    if (cipherName.isEmpty()) {
      throw new HeaderFormatException(8, "cipher-name", "empty");
    }
    if (cipherMode.isEmpty()) {
      throw new HeaderFormatException(40, "cipher-mode", "empty");
    }
    if (keyBytes <= 0 || keyBytes > MAX_KEY_BYTES) {
      throw new HeaderFormatException(
          108,
          "key-bytes",
          "must be 1.." + MAX_KEY_BYTES + ", found " + Integer.toUnsignedString(keyBytes));
    }
    if (mkIter <= 0) {
      throw new HeaderFormatException(164, "mk-digest-iter", "must be positive, found " + mkIter);
    }
    if (payload <= 0) {
      throw new HeaderFormatException(
          104,
          "payload-offset",
          "detached headers (payload offset 0) are not supported, found " + payload);
    }
    long payloadBytes = Integer.toUnsignedLong(payload) * 512L;
    if (imageSize > 0 && payloadBytes > imageSize) {
      throw new HeaderFormatException(
          104,
          "payload-offset",
          "data starts at "
              + payloadBytes
              + ", beyond the end of the image ("
              + imageSize
              + " bytes)");
    }
    long materialSectors = ((long) keyBytes * Luks1Header.STRIPES + 511) / 512;
    List<Luks1Keyslot> slots = new ArrayList<>();
    for (int i = 0; i < Luks1Header.SLOTS; i++) {
      int base = 208 + 48 * i;
      int active = b.getInt(base);
      int iter = b.getInt(base + 4);
      byte[] salt = Arrays.copyOfRange(bytes, base + 8, base + 40);
      int kmOff = b.getInt(base + 40);
      int stripes = b.getInt(base + 44);
      boolean on;
      if (active == Luks1Keyslot.ACTIVE) {
        on = true;
      } else if (active == Luks1Keyslot.DISABLED) {
        on = false;
      } else {
        throw new HeaderFormatException(
            base,
            "keyslot " + i + " active",
            "neither enabled (0x00AC71F3) nor disabled (0x0000DEAD): 0x"
                + Integer.toHexString(active));
      }
      if (stripes != Luks1Header.STRIPES) {
        throw new HeaderFormatException(
            base + 44,
            "keyslot " + i + " stripes",
            "must be 4000, found " + Integer.toUnsignedString(stripes));
      }
      if (on && iter <= 0) {
        throw new HeaderFormatException(
            base + 4,
            "keyslot " + i + " iterations",
            "must be positive, found " + Integer.toUnsignedString(iter));
      }
      long start = Integer.toUnsignedLong(kmOff);
      if (start * 512 < HEADER_BYTES) {
        throw new HeaderFormatException(
            base + 40,
            "keyslot " + i + " key-material-offset",
            "sector " + start + " overlaps the header");
      }
      if (start + materialSectors > Integer.toUnsignedLong(payload)) {
        throw new HeaderFormatException(
            base + 40,
            "keyslot " + i + " key-material-offset",
            "key material (sectors "
                + start
                + ".."
                + (start + materialSectors)
                + ") overlaps the data area at sector "
                + payload);
      }
      slots.add(new Luks1Keyslot(i, on, iter, salt, kmOff, stripes));
    }
    for (int i = 0; i < slots.size(); i++) {
      for (int j = i + 1; j < slots.size(); j++) {
        long a = slots.get(i).keyMaterialOffset();
        long c = slots.get(j).keyMaterialOffset();
        if (a < c + materialSectors && c < a + materialSectors) {
          throw new HeaderFormatException(
              208 + 48 * j + 40, "keyslot " + j + " key-material-offset", "overlaps keyslot " + i);
        }
      }
    }
    return new Luks1Header(
        cipherName, cipherMode, hashSpec, payload, keyBytes, mkDigest, mkSalt, mkIter, uuid, slots);
  }

  /** Encodes a header into {@link #HEADER_BYTES} bytes. */
  public static byte[] encode(Luks1Header h) {
    ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES);
    b.put(MAGIC);
    b.putShort((short) 1);
    putString(b, 8, 32, h.cipherName());
    putString(b, 40, 32, h.cipherMode());
    putString(b, 72, 32, h.hashSpec());
    b.putInt(104, h.payloadOffset());
    b.putInt(108, h.keyBytes());
    b.put(112, h.mkDigest(), 0, 20);
    b.put(132, h.mkDigestSalt(), 0, 32);
    b.putInt(164, h.mkDigestIterations());
    putString(b, 168, 40, h.uuid());
    for (Luks1Keyslot s : h.keyslots()) {
      int base = 208 + 48 * s.index();
      b.putInt(base, s.active() ? Luks1Keyslot.ACTIVE : Luks1Keyslot.DISABLED);
      b.putInt(base + 4, s.iterations());
      b.put(base + 8, s.salt(), 0, 32);
      b.putInt(base + 40, s.keyMaterialOffset());
      b.putInt(base + 44, s.stripes());
    }
    return b.array();
  }

  /**
   * cryptsetup's layout: slot 0 at sector 8, each slot start rounded up to 8 sectors, payload
   * rounded up to 2048.
   *
   * @return slot offsets (8 entries) followed by the payload offset, in sectors
   */
  public static int[] layout(int keyBytes) {
    int material = (keyBytes * Luks1Header.STRIPES + 511) / 512;
    int[] out = new int[Luks1Header.SLOTS + 1];
    int next = 8;
    for (int i = 0; i < Luks1Header.SLOTS; i++) {
      out[i] = next;
      next = (next + material + 7) / 8 * 8;
    }
    out[Luks1Header.SLOTS] = (next + 2047) / 2048 * 2048;
    return out;
  }

  private static String string(byte[] bytes, int off, int len, String field)
      throws HeaderFormatException {
    int end = off;
    while (end < off + len && bytes[end] != 0) {
      byte c = bytes[end];
      if (c < 0x20 || c > 0x7e) {
        throw new HeaderFormatException(end, field, "non-printable byte in text field");
      }
      end++;
    }
    if (end == off + len) {
      throw new HeaderFormatException(off, field, "not NUL-terminated within " + len + " bytes");
    }
    return new String(bytes, off, end - off, StandardCharsets.US_ASCII);
  }

  private static void putString(ByteBuffer b, int off, int len, String s) {
    byte[] v = s.getBytes(StandardCharsets.US_ASCII);
    if (v.length >= len) {
      throw new IllegalArgumentException(
          "text field at " + off + " longer than " + (len - 1) + " bytes");
    }
    b.put(off, v);
  }
}
