package dev.klcrypt.blockdev.luks2;

import dev.klcrypt.blockdev.kdf.HashAlgorithm;
import dev.klcrypt.blockdev.store.BackingStore;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;

/**
 * Writes both LUKS2 header copies in cryptsetup's order: for each copy the binary header with a
 * zero checksum, then the JSON area, then the binary header with its checksum, then fsync; the
 * primary first, then the secondary. Each copy gets a fresh random salt. The caller chooses the
 * seqid ({@link #writeNext} bumps it).
 */
public final class Luks2HeaderWriter {
  private Luks2HeaderWriter() {}

  /** Writes {@code h} with seqid + 1 and returns what was written. */
  public static Luks2Header writeNext(BackingStore store, Luks2Header h, SecureRandom random) {
    Luks2Header next = h.withSeqid(h.seqid() + 1);
    write(store, next, random);
    return next;
  }

  /** Writes {@code h} as is (same seqid: used by repair). */
  public static void write(BackingStore store, Luks2Header h, SecureRandom random) {
    byte[] json = Luks2MetadataCodec.toJson(h.metadata()).getBytes(StandardCharsets.UTF_8);
    int area = (int) h.jsonSize();
    if (json.length >= area) {
      throw new IllegalStateException(
          "LUKS2 JSON metadata of "
              + json.length
              + " bytes does not fit the "
              + area
              + "-byte JSON area");
    }
    byte[] jsonArea = new byte[area];
    System.arraycopy(json, 0, jsonArea, 0, json.length);
    HashAlgorithm alg =
        HashAlgorithm.byLuksName(h.checksumAlg())
            .orElseThrow(
                () -> new IllegalStateException("unsupported checksum_alg " + h.checksumAlg()));
    writeCopy(store, h, true, 0, jsonArea, alg, random);
    writeCopy(store, h, false, h.hdrSize(), jsonArea, alg, random);
  }

  private static void writeCopy(
      BackingStore store,
      Luks2Header h,
      boolean primary,
      long at,
      byte[] jsonArea,
      HashAlgorithm alg,
      SecureRandom random) {
    byte[] salt = new byte[64];
    random.nextBytes(salt);
    Luks2BinaryHeader bin =
        new Luks2BinaryHeader(
            primary,
            2,
            h.hdrSize(),
            h.seqid(),
            h.label(),
            h.checksumAlg(),
            salt,
            h.uuid(),
            h.subsystem(),
            at,
            null);
    byte[] noCsum = bin.encode(null);
    store.write(at, ByteBuffer.wrap(noCsum));
    store.write(at + Luks2BinaryHeader.BINARY_BYTES, ByteBuffer.wrap(jsonArea));
    byte[] csum = Luks2HeaderReader.checksum(alg, noCsum, jsonArea);
    store.write(at, ByteBuffer.wrap(bin.encode(csum)));
    store.flush();
  }
}
