package dev.klcrypt.blockdev.volume;

/**
 * Every byte ↔ sector conversion the volume does, one line each. Sector sizes are powers of two.
 */
public final class SectorMath {
  /** dm-crypt counts IVs in 512-byte units whatever the sector size. */
  public static final int IV_UNIT = 512;

  private SectorMath() {}

  /** Start of the sector holding {@code offset}. */
  public static long floor(long offset, int sectorSize) {
    return offset & -(long) sectorSize;
  }

  /** End of the sector holding byte {@code offset - 1}, i.e. {@code offset} rounded up. */
  public static long ceil(long offset, int sectorSize) {
    return (offset + sectorSize - 1) & -(long) sectorSize;
  }

  /** Whether {@code offset} is on a sector boundary. */
  public static boolean isAligned(long offset, int sectorSize) {
    return (offset & (sectorSize - 1)) == 0;
  }

  /** Whether [offset, offset+length) covers only whole sectors. */
  public static boolean coversWholeSectors(long offset, long length, int sectorSize) {
    return isAligned(offset, sectorSize) && isAligned(length, sectorSize);
  }

  /** The plain64 IV of the sector starting at data-area byte {@code alignedOffset}. */
  public static long ivSector(long alignedOffset, long ivTweak) {
    return alignedOffset / IV_UNIT + ivTweak;
  }

  /** Whether [offset, offset+length) lies inside a volume of {@code size} bytes. */
  public static boolean inRange(long offset, long length, long size) {
    return offset >= 0 && length >= 0 && offset <= size && length <= size - offset;
  }
}
