package dev.klcrypt.blockdev.luks2;

import java.util.List;

/**
 * A LUKS2 data segment (JSON {@code segments.<id>}).
 *
 * @param size bytes, or -1 for "dynamic" (to the end of the device)
 * @param ivTweak added to the 512-byte sector number
 */
public record Luks2Segment(
    int id,
    String type,
    long offset,
    long size,
    long ivTweak,
    String encryption,
    int sectorSize,
    boolean integrity,
    List<String> flags) {
  public Luks2Segment {
    flags = List.copyOf(flags);
  }

  public boolean dynamicSize() {
    return size < 0;
  }
}
