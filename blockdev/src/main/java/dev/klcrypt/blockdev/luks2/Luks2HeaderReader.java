package dev.klcrypt.blockdev.luks2;

import dev.klcrypt.blockdev.BackingStoreIoException;
import dev.klcrypt.blockdev.HeaderFormatException;
import dev.klcrypt.blockdev.kdf.HashAlgorithm;
import dev.klcrypt.blockdev.store.BackingStore;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.bouncycastle.crypto.Digest;

/**
 * Reads both LUKS2 header copies the way cryptsetup does: the primary at 0, the secondary at the
 * primary's hdr_size (or, when the primary is unusable, probed at every valid hdr_size). A copy
 * counts only with the right magic, version, hdr_offset, checksum and valid JSON. Two good copies:
 * the higher seqid wins. One good copy: it is used and the damage is reported; nothing is written
 * here (repair is an explicit write).
 */
public final class Luks2HeaderReader {
  private Luks2HeaderReader() {}

  /**
   * What was read.
   *
   * @param primaryDamage why the primary copy was not used, or null
   * @param secondaryDamage why the secondary copy was not used, or null
   */
  public record Result(Luks2Header header, String primaryDamage, String secondaryDamage) {
    /** Whether a write of both copies is needed to make them agree again. */
    public boolean needsRepair() {
      return primaryDamage != null || secondaryDamage != null;
    }
  }

  private record Copy(Luks2BinaryHeader binary, Luks2Metadata metadata) {}

  /** Reads and validates the header; fails only when neither copy is usable. */
  public static Result read(BackingStore store) throws HeaderFormatException {
    long size = store.size();
    Copy p = null;
    HeaderFormatException pe = null;
    try {
      p = readCopy(store, 0, true, size);
    } catch (HeaderFormatException e) {
      pe = e;
    }
    Copy s = null;
    HeaderFormatException se = null;
    long[] candidates =
        p != null ? new long[] {p.binary().hdrSize()} : Luks2BinaryHeader.VALID_HDR_SIZES;
    for (long off : candidates) {
      try {
        s = readCopy(store, off, false, size);
        break;
      } catch (HeaderFormatException e) {
        if (se == null || (se.field().equals("magic") && !e.field().equals("magic"))) {
          se = e;
        }
      }
    }
    if (p == null && s == null) {
      if (pe.field().equals("magic") && se != null && se.field().equals("magic")) {
        throw new HeaderFormatException(
            0, "magic", "not a LUKS2 device (no header magic in either copy)");
      }
      throw new HeaderFormatException(
          pe.offset(),
          pe.field(),
          "both LUKS2 header copies are damaged; primary: "
              + pe.getMessage()
              + "; secondary: "
              + (se == null ? "not found" : se.getMessage()),
          pe);
    }
    if (p != null && s != null) {
      long ps = p.binary().seqid();
      long ss = s.binary().seqid();
      if (ps == ss) {
        return new Result(toModel(p), null, null);
      }
      if (Long.compareUnsigned(ps, ss) > 0) {
        return new Result(toModel(p), null, "stale secondary copy (seqid " + ss + " < " + ps + ")");
      }
      return new Result(toModel(s), "stale primary copy (seqid " + ps + " < " + ss + ")", null);
    }
    if (p != null) {
      return new Result(
          toModel(p), null, se == null ? "secondary copy not found" : se.getMessage());
    }
    return new Result(toModel(s), pe.getMessage(), null);
  }

  private static Luks2Header toModel(Copy c) {
    Luks2BinaryHeader b = c.binary();
    return new Luks2Header(
        b.hdrSize(), b.seqid(), b.label(), b.subsystem(), b.uuid(), b.checksumAlg(), c.metadata());
  }

  private static Copy readCopy(BackingStore store, long at, boolean primary, long size)
      throws HeaderFormatException {
    if (size < at + Luks2BinaryHeader.BINARY_BYTES) {
      throw new HeaderFormatException(
          at,
          primary ? "magic" : "magic",
          "image ends at " + size + ", before the header copy at " + at);
    }
    byte[] bin = readBytes(store, at, Luks2BinaryHeader.BINARY_BYTES);
    Luks2BinaryHeader h = Luks2BinaryHeader.decode(bin, at, primary);
    long hdrSize = h.hdrSize();
    if (size < at + hdrSize) {
      throw new HeaderFormatException(
          at + 8,
          "hdr_size",
          "header copy at "
              + at
              + " of "
              + hdrSize
              + " bytes is truncated: image is "
              + size
              + " bytes");
    }
    byte[] json =
        readBytes(
            store,
            at + Luks2BinaryHeader.BINARY_BYTES,
            (int) (hdrSize - Luks2BinaryHeader.BINARY_BYTES));
    HashAlgorithm alg =
        HashAlgorithm.byLuksName(h.checksumAlg())
            .orElseThrow(
                () ->
                    new HeaderFormatException(
                        at + 72,
                        "checksum_alg",
                        "unsupported checksum algorithm " + h.checksumAlg()));
    byte[] want = checksum(alg, bin, json);
    byte[] have = Arrays.copyOf(h.csum(), want.length);
    if (!Arrays.equals(want, have)) {
      throw new HeaderFormatException(
          at + Luks2BinaryHeader.CSUM_OFFSET, "csum", "checksum mismatch");
    }
    int nul = 0;
    while (nul < json.length && json[nul] != 0) {
      nul++;
    }
    if (nul == json.length) {
      throw new HeaderFormatException(at + 4096, "json", "JSON area is not NUL-terminated");
    }
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(json, 0, nul))
              .toString();
    } catch (CharacterCodingException e) {
      throw new HeaderFormatException(at + 4096, "json", "JSON text is not valid UTF-8", e);
    }
    Luks2Metadata m = Luks2MetadataCodec.parse(text, hdrSize, at + 4096);
    return new Copy(h, m);
  }

  /** Checksum over the binary header with the csum field zeroed, then the whole JSON area. */
  static byte[] checksum(HashAlgorithm alg, byte[] binary, byte[] jsonArea) {
    byte[] zeroed = binary.clone();
    Arrays.fill(
        zeroed,
        Luks2BinaryHeader.CSUM_OFFSET,
        Luks2BinaryHeader.CSUM_OFFSET + Luks2BinaryHeader.CSUM_BYTES,
        (byte) 0);
    Digest d = alg.newDigest();
    d.update(zeroed, 0, zeroed.length);
    d.update(jsonArea, 0, jsonArea.length);
    byte[] out = new byte[d.getDigestSize()];
    d.doFinal(out, 0);
    return out;
  }

  static byte[] readBytes(BackingStore store, long at, int len) {
    ByteBuffer buf = ByteBuffer.allocate(len);
    try {
      store.read(at, buf);
    } catch (BackingStoreIoException e) {
      throw e;
    }
    return buf.array();
  }
}
