package dev.klcrypt.blockdev.luks2;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.klcrypt.blockdev.kdf.HashAlgorithm;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * Named, deliberate damage to a valid LUKS image (cryptsetup's tests/generators style). Each
 * mutation works on the file in place and first proves it changed bytes. JSON edits can keep
 * checksums valid, so the damage reaches the semantic checks rather than stopping at the checksum.
 */
final class HeaderMutations {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long HDR = 16384;

  interface Mutation {
    void apply(Path image) throws IOException;
  }

  static final Map<String, Mutation> ALL = new TreeMap<>();

  static {
    // ---- LUKS2: one copy damaged -> recovered from the other
    ALL.put("invalidChecksumHdr0", img -> flip(img, 448));
    ALL.put("primaryMagicZeroed", img -> write(img, 0, new byte[6]));
    ALL.put("primaryJsonByteFlipped", img -> flip(img, 4096 + 20));
    ALL.put("primaryVersionChanged", img -> write(img, 6, new byte[] {0, 3}));
    ALL.put(
        "primaryHdrOffsetWrong", img -> binaryWithValidChecksum(img, 0, b -> b.putLong(256, 4096)));
    ALL.put("secondaryChecksumBroken", img -> flip(img, HDR + 448));
    ALL.put("secondaryMagicZeroed", img -> write(img, HDR, new byte[6]));
    ALL.put(
        "stalePrimarySeqid",
        img -> binaryWithValidChecksum(img, 0, b -> b.putLong(16, b.getLong(16) - 1)));
    ALL.put(
        "primaryTruncatedJsonText",
        img -> jsonText(img, false, s -> s.substring(0, s.length() / 2)));
    // ---- LUKS2: both copies -> refused
    ALL.put(
        "bothChecksumsBroken",
        img -> {
          flip(img, 448);
          flip(img, HDR + 448);
        });
    ALL.put(
        "bothMagicsZeroed",
        img -> {
          write(img, 0, new byte[6]);
          write(img, HDR, new byte[6]);
        });
    ALL.put(
        "unknownSegmentCipher",
        img -> json(img, o -> seg(o).put("encryption", "twofish-xts-plain64")));
    ALL.put(
        "unknownKeyslotCipher",
        img ->
            json(
                img,
                o -> {
                  area(o, "0").put("encryption", "serpent-cbc-essiv:sha256");
                  area(o, "1").put("encryption", "serpent-cbc-essiv:sha256");
                }));
    ALL.put(
        "unknownKdf",
        img ->
            json(
                img,
                o -> {
                  ((ObjectNode) ks(o, "0").get("kdf")).put("type", "scrypt");
                  ((ObjectNode) ks(o, "1").get("kdf")).put("type", "scrypt");
                }));
    ALL.put("keyslotAreaOverlapsData", img -> json(img, o -> seg(o).put("offset", "65536")));
    ALL.put(
        "overlappingKeyslotAreas",
        img -> json(img, o -> area(o, "1").put("offset", area(o, "0").get("offset").asText())));
    ALL.put(
        "keyslotAreaOutsideKeyslotsArea",
        img -> json(img, o -> area(o, "1").put("offset", Long.toString(16L * 1024 * 1024 - 4096))));
    ALL.put(
        "keyslotAreaTooSmall",
        img ->
            json(
                img,
                o -> {
                  area(o, "0").put("size", "4096");
                  area(o, "1").put("size", "4096");
                }));
    ALL.put(
        "jsonMalformed", img -> jsonText(img, true, s -> s.substring(0, s.length() - 3) + ",}"));
    ALL.put(
        "jsonNotNulTerminated",
        img ->
            jsonText(
                img,
                true,
                s ->
                    s
                        + " "
                            .repeat(
                                (int) (HDR - 4096) - s.length()))); // fills the area: no NUL left
    ALL.put("jsonMissingConfig", img -> json(img, o -> o.remove("config")));
    ALL.put("jsonTopLevelArray", img -> jsonText(img, true, s -> "[" + s + "]"));
    ALL.put("u64AsNumber", img -> json(img, o -> seg(o).put("offset", 16777216L)));
    ALL.put("u64Negative", img -> json(img, o -> seg(o).put("offset", "-4096")));
    ALL.put(
        "digestRefersMissingKeyslot",
        img ->
            json(
                img,
                o ->
                    ((com.fasterxml.jackson.databind.node.ArrayNode)
                            o.get("digests").get("0").get("keyslots"))
                        .add("7")));
    ALL.put(
        "unknownMandatoryRequirement",
        img ->
            json(
                img,
                o ->
                    ((ObjectNode) o.get("config"))
                        .putObject("requirements")
                        .putArray("mandatory")
                        .add("future-feature")));
    ALL.put(
        "hdrSizeInvalidBoth",
        img -> {
          binaryWithValidChecksum(img, 0, b -> b.putLong(8, 12345));
          binaryWithValidChecksum(img, HDR, b -> b.putLong(8, 12345));
        });
    ALL.put("truncatedHeaderArea", img -> truncate(img, 8192));
    ALL.put("truncatedDataArea", img -> truncate(img, 16L * 1024 * 1024));
    // ---- LUKS1 (one copy only: damage is refused)
    ALL.put("luks1BadStripes", img -> write(img, 208 + 44, be32(3999)));
    ALL.put("luks1BadActiveMagic", img -> write(img, 208 + 48 * 3, be32(0x12345678)));
    ALL.put("luks1Truncated", img -> truncate(img, 300));
    ALL.put("luks1UnknownCipher", img -> write(img, 8, padded("twofish", 32)));
    ALL.put("luks1UnknownMode", img -> write(img, 40, padded("cbc-essiv:sha256", 32)));
    ALL.put("luks1UnknownHash", img -> write(img, 72, padded("whirlpool", 32)));
    ALL.put("luks1SlotOverlapsPayload", img -> write(img, 104, be32(1000)));
    ALL.put("luks1SlotsOverlap", img -> write(img, 208 + 48 + 40, be32(100)));
    ALL.put("luks1PayloadBeyondEnd", img -> write(img, 104, be32(1 << 30)));
    ALL.put("luks1ZeroMkIterations", img -> write(img, 164, be32(0)));
  }

  private HeaderMutations() {}

  /** Applies the named mutation, asserting it changed the file. */
  static void apply(String name, Path image) throws IOException {
    Mutation m = ALL.get(name);
    assertThat(m).as("mutation %s exists", name).isNotNull();
    byte[] before = Files.readAllBytes(image);
    m.apply(image);
    byte[] after = Files.readAllBytes(image);
    assertThat(Arrays.equals(before, after)).as("mutation %s changed the image", name).isFalse();
  }

  // ---- byte-level helpers

  static void flip(Path img, long at) throws IOException {
    byte[] b = read(img, at, 1);
    b[0] ^= (byte) 0x5a;
    write(img, at, b);
  }

  static byte[] read(Path img, long at, int len) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "r")) {
      byte[] b = new byte[len];
      f.seek(at);
      f.readFully(b);
      return b;
    }
  }

  static void write(Path img, long at, byte[] b) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
      f.seek(at);
      f.write(b);
    }
  }

  static void truncate(Path img, long size) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
      f.setLength(size);
    }
  }

  static byte[] be32(int v) {
    return ByteBuffer.allocate(4).putInt(v).array();
  }

  static byte[] padded(String s, int len) {
    return Arrays.copyOf(s.getBytes(StandardCharsets.US_ASCII), len);
  }

  /** Edits the binary header of the copy at {@code at}, then recomputes its checksum. */
  static void binaryWithValidChecksum(Path img, long at, Consumer<ByteBuffer> edit)
      throws IOException {
    byte[] bin = read(img, at, 4096);
    ByteBuffer bb = ByteBuffer.wrap(bin);
    edit.accept(bb);
    byte[] json = read(img, at + 4096, (int) (HDR - 4096));
    byte[] csum = Luks2HeaderReader.checksum(HashAlgorithm.SHA256, bin, json);
    Arrays.fill(bin, 448, 512, (byte) 0);
    System.arraycopy(csum, 0, bin, 448, csum.length);
    write(img, at, bin);
  }

  /** Rewrites the JSON text of one or both copies with valid checksums. */
  static void jsonText(Path img, boolean both, UnaryOperator<String> edit) throws IOException {
    for (long at : both ? new long[] {0, HDR} : new long[] {0}) {
      byte[] area = read(img, at + 4096, (int) (HDR - 4096));
      int nul = 0;
      while (nul < area.length && area[nul] != 0) {
        nul++;
      }
      byte[] text =
          edit.apply(new String(area, 0, nul, StandardCharsets.UTF_8))
              .getBytes(StandardCharsets.UTF_8);
      byte[] fresh = new byte[area.length];
      System.arraycopy(text, 0, fresh, 0, Math.min(text.length, fresh.length));
      write(img, at + 4096, fresh);
      binaryWithValidChecksum(img, at, b -> {});
    }
  }

  /** Edits the parsed JSON tree of both copies (checksums kept valid). */
  static void json(Path img, Consumer<ObjectNode> edit) throws IOException {
    jsonText(
        img,
        true,
        s -> {
          try {
            ObjectNode o = (ObjectNode) JSON.readTree(s);
            edit.accept(o);
            return JSON.writeValueAsString(o);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }

  private static ObjectNode seg(ObjectNode o) {
    return (ObjectNode) o.get("segments").get("0");
  }

  private static ObjectNode ks(ObjectNode o, String id) {
    return (ObjectNode) o.get("keyslots").get(id);
  }

  private static ObjectNode area(ObjectNode o, String id) {
    return (ObjectNode) ks(o, id).get("area");
  }
}
