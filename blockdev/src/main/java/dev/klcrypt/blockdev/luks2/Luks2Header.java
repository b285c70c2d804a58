package dev.klcrypt.blockdev.luks2;

/**
 * A LUKS2 header as klcrypt works with it: the binary fields both copies share, plus the JSON
 * metadata.
 *
 * @param seqid the epoch of the copy this was read from
 */
public record Luks2Header(
    long hdrSize,
    long seqid,
    String label,
    String subsystem,
    String uuid,
    String checksumAlg,
    Luks2Metadata metadata) {

  public Luks2Header withMetadata(Luks2Metadata m) {
    return new Luks2Header(hdrSize, seqid, label, subsystem, uuid, checksumAlg, m);
  }

  public Luks2Header withSeqid(long s) {
    return new Luks2Header(hdrSize, s, label, subsystem, uuid, checksumAlg, metadata);
  }

  public Luks2Header withLabels(String newLabel, String newSubsystem) {
    return new Luks2Header(hdrSize, seqid, newLabel, newSubsystem, uuid, checksumAlg, metadata);
  }

  public long jsonSize() {
    return hdrSize - Luks2BinaryHeader.BINARY_BYTES;
  }
}
