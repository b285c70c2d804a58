package dev.klcrypt.blockdev.fault;

/**
 * An inclusive range of 512-byte sectors of the backing store (the whole image, LUKS header
 * included), counted like a device-mapper table. {@link #ALL} covers every sector.
 */
public record SectorRange(long first, long last) {
  /** Bytes per sector in fault ranges, whatever the volume's own sector size. */
  public static final int SECTOR_BYTES = 512;

  /** Every sector of the store. */
  public static final SectorRange ALL = new SectorRange(0, Long.MAX_VALUE / SECTOR_BYTES - 1);

  public SectorRange {
    if (first < 0 || last < first || last > Long.MAX_VALUE / SECTOR_BYTES - 1) {
      throw new IllegalArgumentException(
          "sector range " + first + "-" + last + " is empty or out of bounds");
    }
  }

  /** First byte offset covered. */
  public long startByte() {
    return first * SECTOR_BYTES;
  }

  /** Byte offset just past the range. */
  public long endByte() {
    return (last + 1) * SECTOR_BYTES;
  }

  /**
   * Whether the byte range {@code [offset, offset + length)} shares at least one byte with this
   * range.
   */
  public boolean overlaps(long offset, long length) {
    return length > 0 && offset < endByte() && offset + length > startByte();
  }

  /** Whether this is {@link #ALL}. */
  public boolean isAll() {
    return equals(ALL);
  }

  /**
   * The scenario-file spelling without the {@code sectors} keyword: {@code 2048-4095} or {@code 7}.
   */
  public String text() {
    return first == last ? Long.toString(first) : first + "-" + last;
  }
}
